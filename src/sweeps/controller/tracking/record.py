"""What a tracker logs of a finished trial, read once from its FrozenTrial."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from optuna.trial import FrozenTrial, TrialState

from sweeps.spec import SweepSpec
from sweeps.spec.facts import (
    ALLOCATED_GPU_HOURS,
    BILLED_GPU_HOURS,
    BILLED_NODE_HOURS,
    ENERGY_WH,
    HOSTNAME,
    NODE,
    RUNTIME_S,
    SLURM_JOB_ID,
    Fact,
)
from sweeps.study.keys import Attr

TRACKED_FACTS: tuple[Fact, ...] = (
    SLURM_JOB_ID,
    NODE,
    HOSTNAME,
    RUNTIME_S,
    ALLOCATED_GPU_HOURS,
    BILLED_GPU_HOURS,
    BILLED_NODE_HOURS,
    ENERGY_WH,
)
"""The facts a run gets, under their keys, where the trial recorded them: those with a unit
as numbers (metrics), the others (the Slurm job, the node) as text."""

FINAL = "final/"
"""The prefix of a final value's name (``final/value``); the step series has the bare name."""


@dataclass(frozen=True)
class TrialRecord:
    """A finished trial as every tracker logs it."""

    study: str
    number: int
    state: TrialState  # COMPLETE, PRUNED or FAIL
    params: dict[str, Any]
    series: str  # the name of the intermediate values
    steps: list[tuple[int, float]]  # (step, intermediate value), by step
    values: dict[str, float]  # final value(s), by name (FINAL + metric)
    numbers: dict[str, float]  # the TRACKED_FACTS with a unit the trial recorded, by key
    texts: dict[str, str]  # and those without one
    reason: str | None  # why it failed or was pruned, where it says
    start: datetime | None
    end: datetime | None

    @classmethod
    def of(cls, spec: SweepSpec, trial: FrozenTrial) -> TrialRecord:
        names = metric_names(spec)
        attrs = trial.user_attrs
        facts = {fact: fact.read(attrs) for fact in TRACKED_FACTS}
        facts = {fact: value for fact, value in facts.items() if value not in (None, "")}
        return cls(
            study=spec.study,
            number=trial.number,
            state=trial.state,
            params=dict(trial.params),
            series=names[0],
            steps=sorted(trial.intermediate_values.items()),
            values={FINAL + n: v for n, v in zip(names, trial.values or [], strict=False)},
            numbers={f.key: float(v) for f, v in facts.items() if f.unit and _is_number(v)},
            texts={f.key: str(v) for f, v in facts.items() if not f.unit},
            reason=attrs.get(Attr.FAIL_REASON) or attrs.get(Attr.REASON),
            start=trial.datetime_start,
            end=trial.datetime_complete,
        )

    @property
    def run_name(self) -> str:
        """``<study>-<trial number>``: the run's name in every tracker."""
        return f"{self.study}-{self.number}"

    @property
    def last_step(self) -> int:
        """The step final values are logged at: the last reported one (else 0)."""
        return self.steps[-1][0] if self.steps else 0


def metric_names(spec: SweepSpec) -> list[str]:
    """The names of the trial's values: the sweep's ``metrics``, else ``value`` (one
    objective) or ``value_<i>``."""
    if spec.metrics:
        return list(spec.metrics)
    if len(spec.directions) == 1:
        return ["value"]
    return [f"value_{i}" for i in range(len(spec.directions))]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
