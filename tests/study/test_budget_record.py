"""The study records how many trials its runs were given: a shortened run is the same study
with fewer trials, a full run later resumes it and ends the shortening, and a shorter run after
a longer one does not shorten what the study was run to."""

from __future__ import annotations

from typing import Any

import optuna

from sweeps.spec import SweepSpec, load_spec
from sweeps.study import prepare_study
from sweeps.study.budget_record import TrialBudget, recorded_budget
from sweeps.study.keys import Key
from sweeps.study.slots import create_slot_trial


def sweep(make_spec: Any, n_trials: int | None = None) -> SweepSpec:
    path, _ = make_spec(budget={"n_trials": 10})
    return load_spec(path, n_trials=n_trials)


def tell(study: optuna.Study, n: int) -> None:
    """The trials of slots 0..n-1, each told."""
    for slot in range(n):
        trial = create_slot_trial(study, slot, 0)
        trial.suggest_float("x", -5, 5)
        study.tell(trial, 1.0)


def test_a_shortened_run_is_recorded_and_a_full_run_resumes_it(make_spec: Any) -> None:
    short = sweep(make_spec, n_trials=4)
    study = prepare_study(short)
    assert study.user_attrs[Key.TRIAL_BUDGET] == {"n_trials": 4, "sweep_file": 10}
    budget = recorded_budget(study, sweep(make_spec))  # read by hand: the file's spec
    assert budget == TrialBudget(4, 10) and budget.shortened
    assert budget.line() == "shortened from 10 to 4 trials"
    tell(study, 4)
    # The full budget is the same study (n_trials is not pinned): resumed, not refused.
    full = sweep(make_spec)
    again = prepare_study(full)
    assert len(again.trials) == 4
    assert recorded_budget(again, full) == TrialBudget(10, 10)
    assert not recorded_budget(again, full).shortened
    # A shorter run afterwards does not shorten what the study was run to.
    prepare_study(sweep(make_spec, n_trials=2))
    assert recorded_budget(again, full) == TrialBudget(10, 10)


def test_a_study_made_before_the_record_counts_the_slots_it_ran(make_spec: Any) -> None:
    full = sweep(make_spec)
    study = prepare_study(full)
    tell(study, 7)
    study.set_user_attr(Key.TRIAL_BUDGET, None)  # as a study made before the record reads
    assert recorded_budget(study, full) == TrialBudget(10, 10)  # no record: the spec's own
    prepare_study(sweep(make_spec, n_trials=5))
    assert recorded_budget(study, full) == TrialBudget(7, 10)
