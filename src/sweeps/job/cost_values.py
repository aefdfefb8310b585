"""The values of cost metrics (``energy_wh``, ``gpu_hours``): told with the objective's own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sweeps.job.task import TrialOutcome
from sweeps.spec import SweepSpec
from sweeps.spec.metrics import cost_metrics
from sweeps.study.keys import Attr


def trial_gpus(spec: SweepSpec) -> float:
    """GPUs one trial holds: its share of one GPU when warm lanes pack several on it."""
    return spec.resources.gpus * spec.resources.nodes / spec.dispatch.trials_per_gpu


def _energy_wh(spec: SweepSpec, facts: dict[str, Any]) -> float | str:
    if Attr.ENERGY_WH in facts:
        return float(facts[Attr.ENERGY_WH])
    return f"energy was not measured ({facts.get(Attr.ENERGY_NOT_MEASURED, 'no reading')})"


def _gpu_hours(spec: SweepSpec, facts: dict[str, Any]) -> float | str:
    return round(trial_gpus(spec) * float(facts.get(Attr.RUNTIME_S, 0.0)) / 3600, 6)


COST_VALUES: dict[str, Callable[[SweepSpec, dict[str, Any]], float | str]] = {
    "energy_wh": _energy_wh,
    "gpu_hours": _gpu_hours,
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
