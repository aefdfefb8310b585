"""The values of the cost metrics (:data:`sweeps.spec.facts.METRICS`: ``energy_wh``,
``trial_gpu_hours``): told with the objective's own."""

from __future__ import annotations

from typing import Any, Protocol

from sweeps.job.task import TrialOutcome
from sweeps.spec import SweepSpec
from sweeps.spec.facts import ENERGY_METRIC, ENERGY_NOT_MEASURED, ENERGY_WH, RUNTIME_S
from sweeps.spec.facts import TRIAL_GPU_HOURS as TRIAL_GPU_HOURS_METRIC
from sweeps.spec.metrics import cost_metrics


def trial_gpus(spec: SweepSpec, trials_per_gpu: int = 1) -> float:
    """GPUs one trial holds: its share of each GPU when ``trials_per_gpu`` trials share it
    (warm lanes packed on one GPU: :attr:`TrialTask.trials_per_gpu`)."""
    return spec.resources.gpus * spec.resources.nodes / trials_per_gpu


class CostValue(Protocol):
    """A cost metric's value from the trial's facts, or why there is none."""

    def __call__(
        self, spec: SweepSpec, facts: dict[str, Any], trials_per_gpu: int = 1
    ) -> float | str: ...


def _energy_wh(spec: SweepSpec, facts: dict[str, Any], trials_per_gpu: int = 1) -> float | str:
    if ENERGY_WH.recorded(facts):
        return float(ENERGY_WH.read(facts))
    return f"energy was not measured ({ENERGY_NOT_MEASURED.read(facts) or 'no reading'})"


def _trial_gpu_hours(
    spec: SweepSpec, facts: dict[str, Any], trials_per_gpu: int = 1
) -> float | str:
    runtime_s = float(RUNTIME_S.read(facts) or 0.0)
    return round(trial_gpus(spec, trials_per_gpu) * runtime_s / 3600, 6)


COST_VALUES: dict[str, CostValue] = {
    ENERGY_METRIC.name: _energy_wh,
    TRIAL_GPU_HOURS_METRIC.name: _trial_gpu_hours,
}
"""Cost metric -> its value from the trial's facts, or why there is none."""


def with_cost_values(
    spec: SweepSpec, outcome: TrialOutcome, trials_per_gpu: int = 1
) -> TrialOutcome:
    """A complete outcome with the sweep's cost metrics put in their places among its values;
    a FAIL naming the metric when one cannot be known (no made-up numbers). ``trials_per_gpu``:
    the trials that shared each of its GPUs."""
    costs = cost_metrics(spec)
    if outcome.state != "complete" or not costs or outcome.values is None:
        return outcome
    given = iter(outcome.values)
    values: list[float] = []
    for position in range(len(spec.directions)):
        if position not in costs:
            values.append(next(given))
            continue
        value = COST_VALUES[costs[position]](spec, outcome.facts, trials_per_gpu)
        if isinstance(value, str):
            reason = f"metrics[{position}] {costs[position]}: {value}"
            return TrialOutcome("fail", reason=reason, facts=outcome.facts)
        values.append(value)
    return TrialOutcome("complete", values=values, facts=outcome.facts)
