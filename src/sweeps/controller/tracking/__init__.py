"""Experiment tracking (the sweep file's ``tracking:``): each finished trial is sent to MLflow,
Weights & Biases and/or TensorBoard as a run named ``<study>-<trial number>``, with its
parameters, its intermediate values by step, its final values, state and facts.

The trial's controller logs it right after telling the study its outcome. A tracker that fails
is reported once per process on stderr and never fails a trial or changes the study; one that
is not installed is refused by ``sweeps validate`` and before the sweep starts.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from optuna.trial import FrozenTrial

from sweeps import __distribution__
from sweeps.controller.tracking.base import Tracker
from sweeps.controller.tracking.failures import quiet, warn_once
from sweeps.controller.tracking.registry import TRACKERS
from sweeps.spec import SpecError, SweepSpec
from sweeps.spec.errors import MISSING

__all__ = ["TRACKERS", "Tracker", "check_tracking", "track_trial", "tracking_problems"]


def track_trial(spec: SweepSpec, trial: FrozenTrial) -> None:
    """Log the finished ``trial`` to each tracker the sweep names; never raises."""
    for name in spec.tracking.enabled() if spec.tracking else []:
        tracker = TRACKERS[name]
        try:
            with quiet():
                tracker.log_trial(spec, trial)
        except Exception as err:  # the trial and the study stay as they are
            warn_once(name, tracker.where(spec), err)


def tracking_problems(spec: SweepSpec) -> list[tuple[str, Any, str]]:
    """(key, value, message) for each tracker the sweep names that is not installed here."""
    return [
        (
            f"tracking.{name}",
            MISSING,
            f"{TRACKERS[name].package} is not installed here: "
            f'pip install "{__distribution__}[{name}]"',
        )
        for name in (spec.tracking.enabled() if spec.tracking else [])
        if importlib.util.find_spec(TRACKERS[name].package) is None
    ]


def check_tracking(spec: SweepSpec, source: str | Path = "<spec>") -> None:
    """Raise :class:`SpecError` naming ``source`` for every tracker that is not installed."""
    problems = tracking_problems(spec)
    if problems:
        raise SpecError(source, problems)
