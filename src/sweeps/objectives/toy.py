"""Cheap objectives with learning curves: for demos, tests and orchestration benchmarks."""

from __future__ import annotations

import math
import time
from typing import Any

from sweeps.job.handle import TrialHandle, TrialPruned


def quadratic(
    params: dict[str, Any], trial: TrialHandle, steps: int = 5, step_seconds: float = 0.0
) -> float:
    """Distance of ``x`` (and ``y`` if given) from (2, -1), approached over ``steps`` steps."""
    target = (params["x"] - 2.0) ** 2 + (params.get("y", -1.0) + 1.0) ** 2
    value = target
    for step in range(steps):
        value = target + 10.0 * math.exp(-step)
        trial.report(value, step)
        if trial.should_prune():
            raise TrialPruned(f"pruned at step {step}")
        if step_seconds:
            time.sleep(step_seconds)
    return target


def sleep(params: dict[str, Any], seconds: float = 0.0) -> float:
    """Sleep ``params['seconds']`` (or ``seconds``) and return it: a trial of known length."""
    duration = float(params.get("seconds", seconds))
    time.sleep(duration)
    return duration
