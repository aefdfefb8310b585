"""Sweep mappings for the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def base_spec(**overrides: Any) -> dict[str, Any]:
    """A small valid sweep over tests/support/objectives.py."""
    data: dict[str, Any] = {
        "study": "t",
        "objective": "support.objectives:quadratic",
        "direction": "minimize",
        "space": {"x": {"type": "float", "low": -5.0, "high": 5.0}},
        "sampler": {"name": "RandomSampler"},
        "budget": {"n_trials": 4},
        "parallelism": 2,
        "seed": 1,
        "resources": {"time_min": 2},
        "dispatch": {"poll_interval_s": 0.05},
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
