"""How many trials the study's runs were given, against the sweep file's budget.

A run may be shortened (``snakemake --config n_trials=N``, sweeps.spec.shortening). The study
records, in its user attribute :attr:`Key.TRIAL_BUDGET`, the most trials any of its runs was
given and the sweep file's ``budget.n_trials``: the study was run to that budget. A later run
given fewer trials does not lower it (the trials the earlier run ran stay in the study); a run
with the full budget ends the shortening. The report and ``sweeps compare`` read it, so a run
compared by hand afterwards still says "shortened from M to N trials".

Written when the study is prepared and at the start of each later run of the workflow; read
only by everything else. A study without the record (made before it existed) reads as the
spec it is read with says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import optuna

from sweeps.spec import SweepSpec
from sweeps.study.keys import Key

_RUN = "n_trials"
_FILE = "sweep_file"


@dataclass(frozen=True)
class TrialBudget:
    """The trials the study was run to, and the sweep file's ``budget.n_trials``."""

    n_trials: int
    sweep_file: int

    @property
    def shortened(self) -> bool:
        return self.n_trials < self.sweep_file

    def line(self) -> str:
        """``shortened from M to N trials``, or the budget when it was not shortened."""
        if self.shortened:
            return f"shortened from {self.sweep_file} to {self.n_trials} trials"
        return f"{self.n_trials} trials, the sweep file's budget"

    def as_dict(self) -> dict[str, Any]:
        return {_RUN: self.n_trials, _FILE: self.sweep_file, "shortened": self.shortened}


def run_budget(spec: SweepSpec) -> TrialBudget:
    """The budget this run of ``spec`` is given."""
    n = spec.budget.n_trials
    return TrialBudget(n, spec.shortened_from or n)


def recorded_budget(study: optuna.Study, spec: SweepSpec) -> TrialBudget:
    """What the study records it was run to; without a record, ``spec``'s budget."""
    record = study.user_attrs.get(Key.TRIAL_BUDGET)
    if isinstance(record, dict) and isinstance(record.get(_RUN), int):
        n_trials: int = record[_RUN]
        return TrialBudget(n_trials, int(record.get(_FILE) or n_trials))
    return run_budget(spec)


def record_budget(study: optuna.Study, spec: SweepSpec) -> TrialBudget:
    """Record that a run of ``spec`` starts: the study is run to at least its budget. Writes
    only when the record changes; returns it."""
    run = run_budget(spec)
    record = study.user_attrs.get(Key.TRIAL_BUDGET)
    if isinstance(record, dict) and isinstance(record.get(_RUN), int):
        before = record[_RUN]
    elif run.shortened and (trials := study.get_trials(deepcopy=False)):
        # a study made before the record: it was run to its slots at least
        before = 1 + max(int(t.system_attrs.get(Key.SLOT, t.number)) for t in trials)
    else:
        before = 0
    budget = TrialBudget(max(before, run.n_trials), run.sweep_file)
    wanted = {_RUN: budget.n_trials, _FILE: budget.sweep_file}
    if record != wanted:
        study.set_user_attr(Key.TRIAL_BUDGET, wanted)
    return budget
