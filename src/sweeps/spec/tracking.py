"""The sweep file's ``tracking:``: where each finished trial is sent as a run of its own.

Each key names a tracker (sweeps.controller.tracking); a tracker left out is not used. Paths
are relative to the directory the sweep runs in, as every path of the sweep is.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from sweeps.storage.credentials import literal_password_problem
from sweeps.storage.urls import redact_url


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class MlflowTracking(_Strict):
    """An MLflow tracking store: ``tracking_uri`` (default: MLflow's own, from
    ``MLFLOW_TRACKING_URI``) and the ``experiment`` (default: the study's name)."""

    tracking_uri: str | None = None
    experiment: str | None = None

    @field_validator("tracking_uri")
    @classmethod
    def _no_literal_password(cls, value: str | None) -> str | None:
        problem = None if value is None else literal_password_problem(value)
        if problem:
            raise ValueError(
                problem.split(";")[0] + "; reference it as ${VAR}, or give MLflow "
                "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD in the environment"
            )
        return value


class WandbTracking(_Strict):
    """A Weights & Biases project (default: the study's name), offline by default: runs are
    written under ``dir`` (default: the sweep's results folder) for ``wandb sync``."""

    project: str | None = None
    entity: str | None = None
    mode: Literal["offline", "online"] = "offline"
    dir: str | None = None


class TensorboardTracking(_Strict):
    """A TensorBoard log directory (default: ``results/<study>/tensorboard``), one run
    directory with its event file per trial."""

    dir: str | None = None


class TrackingSpec(_Strict):
    """The trackers a sweep sends its trials to."""

    mlflow: MlflowTracking | None = None
    wandb: WandbTracking | None = None
    tensorboard: TensorboardTracking | None = None

    def enabled(self) -> list[str]:
        """The names of the trackers the sweep uses, in the file's order of keys here."""
        return [name for name, settings in self if settings is not None]


def redacted(value: Any) -> Any:
    """A ``tracking:`` value as an error may show it: every URL's password masked."""
    if isinstance(value, str):
        return redact_url(value)
    if isinstance(value, dict):
        return {key: redacted(item) for key, item in value.items()}
    return value
