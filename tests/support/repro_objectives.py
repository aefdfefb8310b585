"""Objectives for the reproducibility tests."""

from __future__ import annotations

import random
import time
from typing import Any

import numpy as np

from sweeps import TrialHandle


def jittered(params: dict[str, Any], trial: TrialHandle, max_sleep_s: float = 0.8) -> float:
    """Finish after a random, unseeded delay; the value depends on params and the trial seed.

    The delay comes from the OS's entropy, so trial completions interleave differently on every
    run. NumPy's global generator is seeded per trial in reproducible mode, so the small noise
    term is reproducible too.
    """
    time.sleep(random.SystemRandom().uniform(0.0, max_sleep_s))
    value = (
        (params["x"] - 2.0) ** 2
        + 0.1 * params["n"]
        + (params["c"] == "b")
        + 1e-3 * float(np.random.random())
    )
    for step in range(3):
        trial.report(value + 3 - step, step)
    return value
