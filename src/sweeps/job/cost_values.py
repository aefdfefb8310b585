"""The values of the cost metrics (:data:`sweeps.spec.facts.METRICS`: ``energy_wh``,
``trial_gpu_hours``): told with the objective's own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sweeps.job.task import TrialOutcome
from sweeps.spec import SweepSpec
from sweeps.spec.facts import ENERGY_METRIC, ENERGY_NOT_MEASURED, ENERGY_WH, RUNTIME_S
from sweeps.spec.facts import TRIAL_GPU_HOURS as TRIAL_GPU_HOURS_METRIC
from sweeps.spec.metrics import cost_metrics


def trial_gpus(spec: SweepSpec) -> float:
    """GPUs one trial holds: its share of one GPU when warm lanes pack several on it."""
    return spec.resources.gpus * spec.resources.nodes / spec.dispatch.trials_per_gpu


def _energy_wh(spec: SweepSpec, facts: dict[str, Any]) -> float | str:
    if ENERGY_WH.recorded(facts):
        return float(ENERGY_WH.read(facts))
    return f"energy was not measured ({ENERGY_NOT_MEASURED.read(facts) or 'no reading'})"


def _trial_gpu_hours(spec: SweepSpec, facts: dict[str, Any]) -> float | str:
    return round(trial_gpus(spec) * float(RUNTIME_S.read(facts) or 0.0) / 3600, 6)


COST_VALUES: dict[str, Callable[[SweepSpec, dict[str, Any]], float | str]] = {
    ENERGY_METRIC.name: _energy_wh,
    TRIAL_GPU_HOURS_METRIC.name: _trial_gpu_hours,
}
"""Cost metric -> its value from the trial's facts, or why there is none."""


def with_cost_values(spec: SweepSpec, outcome: TrialOutcome) -> TrialOutcome:
    """A complete outcome with the sweep's cost metrics put in their places among its values;
    a FAIL naming the metric when one cannot be known (no made-up numbers)."""
    costs = cost_metrics(spec)
    if outcome.state != "complete" or not costs or outcome.values is None:
        return outcome
    given = iter(outcome.values)
    values: list[float] = []
    for position in range(len(spec.directions)):
        if position not in costs:
            values.append(next(given))
            continue
        value = COST_VALUES[costs[position]](spec, outcome.facts)
        if isinstance(value, str):
            reason = f"metrics[{position}] {costs[position]}: {value}"
            return TrialOutcome("fail", reason=reason, facts=outcome.facts)
        values.append(value)
    return TrialOutcome("complete", values=values, facts=outcome.facts)
