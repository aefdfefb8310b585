"""The trackers a sweep file can name under ``tracking:``: one line per tracker."""

from __future__ import annotations

from sweeps.controller.tracking.base import Tracker
from sweeps.controller.tracking.mlflow import MlflowTracker
from sweeps.controller.tracking.tensorboard import TensorboardTracker
from sweeps.controller.tracking.wandb import WandbTracker

TRACKERS: dict[str, Tracker] = {
    MlflowTracker.name: MlflowTracker(),
    WandbTracker.name: WandbTracker(),
    TensorboardTracker.name: TensorboardTracker(),
}
