"""Objectives with known behaviour, imported by trial jobs during the tests."""

from __future__ import annotations

import math
import os
import signal
import time
from typing import Any

from sweeps import TrialHandle, TrialPruned


def quadratic(params: dict[str, Any], trial: TrialHandle, steps: int = 3) -> float:
    """(x - 2)^2, reporting a decreasing curve; pruned when the pruner says so."""
    value = (params["x"] - 2.0) ** 2
    for step in range(steps):
        trial.report(step, value + (steps - step))
        if trial.should_prune():
            raise TrialPruned(f"pruned at step {step}")
    return value


def misbehave(params: dict[str, Any], trial: TrialHandle) -> float:
    """Behaves according to ``params['mode']``: ok, raise, nan, kill, prune."""
    mode = params["mode"]
    trial.report(0, 1.0)
    if mode == "raise":
        raise RuntimeError("objective exploded on purpose")
    if mode == "nan":
        return math.nan
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "prune":
        raise TrialPruned("told to prune")
    if mode == "sleep":
        time.sleep(float(os.environ.get("SWEEPS_TEST_SLEEP_S", "60")))
    return float(params.get("x", 1.0))


def two_values(params: dict[str, Any]) -> tuple[float, float]:
    """A multi-objective function: (x, 1 - x)."""
    return params["x"], 1.0 - params["x"]
