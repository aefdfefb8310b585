"""The sweep's ``metrics``: which values the objective returns and which the trial's cost gives.

A metric named in :data:`COST_METRICS` is not returned by the objective: the trial job fills it
in from what the trial cost (docs/cost.md), so a sweep can optimise accuracy against energy.
The cost metrics are declared in :mod:`sweeps.spec.facts`; a sweep file's old name for one
(``gpu_hours``) is read as today's when the file is validated.
"""

from __future__ import annotations

from typing import Any

from sweeps.spec.facts import METRICS
from sweeps.spec.model import SweepSpec

COST_METRICS = {metric.name: metric.description for metric in METRICS}
"""Metric names whose values come from the trial's cost, not from the objective."""


def cost_metrics(spec: SweepSpec) -> dict[int, str]:
    """Position in the trial's values -> cost metric name."""
    return {i: name for i, name in enumerate(spec.metrics or []) if name in COST_METRICS}


def objective_metrics(spec: SweepSpec) -> list[str]:
    """The metric names the objective itself returns (empty when ``metrics`` is not given)."""
    return [name for name in spec.metrics or [] if name not in COST_METRICS]


def objective_value_count(spec: SweepSpec) -> int:
    """How many values the objective returns."""
    return len(spec.directions) - len(cost_metrics(spec))


def check_metrics(spec: SweepSpec) -> list[tuple[str, Any, str]]:
    """A metric named twice, or a sweep whose every metric is a cost (which leaves the
    objective nothing to return)."""
    names = spec.metrics or []
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        return [("metrics", spec.metrics, f"names {', '.join(twice)} more than once")]
    if spec.metrics and objective_value_count(spec) == 0:
        return [
            (
                "metrics",
                spec.metrics,
                f"every metric is a cost ({', '.join(COST_METRICS)}); name at least one the "
                "objective returns",
            )
        ]
    return []
