"""Counts per state and the best trial: shared by progress lines, `sweeps status` and reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from sweeps.spec import SweepSpec
from sweeps.study.keys import Key
from sweeps.study.slots import uncounted

FINAL_STATES = tuple(s.name for s in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL))
"""The states a trial ends in, as the report's ``state`` column names them."""


@dataclass
class Summary:
    """Where a sweep stands."""

    study: str
    n_trials: int
    counts: dict[str, int]
    final_counts: dict[str, int]
    slots_done: int
    best: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "study": self.study,
            "budget": self.n_trials,
            "slots_done": self.slots_done,
            "counts": self.counts,
            "final_counts": self.final_counts,
            "best": self.best,
        }


def summarize(study: optuna.Study, spec: SweepSpec) -> Summary:
    """Counts per trial state, finished slots and the best trial(s), from one read."""
    trials = study.get_trials(deepcopy=False)
    counts = {state.name: 0 for state in TrialState}
    for trial in trials:
        counts[trial.state.name] += 1
    not_counted = uncounted(study.user_attrs)  # failures a stop freed: their slots run again
    final = [
        t
        for t in trials
        if t.state.is_finished()
        and not t.system_attrs.get(Key.RETRYABLE)
        and t.number not in not_counted
    ]
    final_counts = dict.fromkeys(FINAL_STATES, 0)
    for trial in final:
        final_counts[trial.state.name] += 1
    return Summary(
        study=spec.study,
        n_trials=spec.budget.n_trials,
        counts=counts,
        final_counts=final_counts,
        slots_done=len(final),
        best=[_describe(t) for t in _best(study, trials)],
    )


def _best(study: optuna.Study, trials: list[FrozenTrial]) -> list[FrozenTrial]:
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if not complete:
        return []
    if len(study.directions) > 1:
        return list(study.best_trials)
    sign = 1 if study.direction == optuna.study.StudyDirection.MINIMIZE else -1
    return [min(complete, key=lambda t: sign * t.values[0])]


def _describe(trial: FrozenTrial) -> dict[str, Any]:
    return {"number": trial.number, "values": trial.values, "params": trial.params}
