"""Streaks of same-cause failures and the stop record, on a real in-memory Optuna study."""

from __future__ import annotations

import optuna
import pytest
from optuna.trial import TrialState

from sweeps.storage.optuna_internals import storage_of, trial_id_of
from sweeps.study.keys import Key
from sweeps.study.streak import (
    StopRecord,
    current_streak,
    ended_after,
    normalise_cause,
    read_stop,
    record_stop,
)


def ended(study: optuna.Study, how: str, retryable: bool = False) -> None:
    """Tell one trial: ``ok``, ``pruned``, or a failure whose reason is ``how``."""
    trial = study.ask()
    if how == "ok":
        study.tell(trial, 1.0)
        return
    if how == "pruned":
        study.tell(trial, state=TrialState.PRUNED)
        return
    trial.set_user_attr("fail_reason", how)
    if retryable:
        storage_of(study).set_trial_system_attr(trial_id_of(trial), Key.RETRYABLE, True)
    study.tell(trial, state=TrialState.FAIL)


def study_of(*outcomes: str) -> optuna.Study:
    study = optuna.create_study()
    for how in outcomes:
        ended(study, how)
    return study


def test_the_cause_is_normalised_but_not_blurred() -> None:
    raw = "ValueError:  bad\n  value at 0x7f3a9c"
    assert normalise_cause(raw) == "ValueError: bad value at 0x…"
    assert normalise_cause("ValueError: 1") != normalise_cause("ValueError: 2")
    oom = "Slurm job {} ended OUT_OF_MEMORY without a result: Killed"
    assert normalise_cause(oom.format("41")) == normalise_cause(oom.format("42_3"))


@pytest.mark.parametrize(
    ("outcomes", "cause", "numbers"),
    [
        (["A", "A", "A"], "A", [0, 1, 2]),
        (["B", "A", "A"], "A", [1, 2]),
        (["A", "A", "ok", "A"], "A", [3]),  # a success resets the streak
        (["A", "A", "pruned", "A"], "A", [3]),  # so does a pruned trial
        (["A", "B", "A", "B"], "B", [3]),  # different causes never add up
    ],
)
def test_the_streak_is_the_same_cause_failures_that_ended_last(
    outcomes: list[str], cause: str, numbers: list[int]
) -> None:
    streak = current_streak(study_of(*outcomes).trials)
    assert streak is not None and streak.cause == cause and streak.numbers == numbers


def test_no_streak_after_a_success() -> None:
    assert current_streak(study_of("A", "A", "ok").trials) is None
    assert current_streak([]) is None


def test_failures_lost_to_the_infrastructure_neither_count_nor_break_the_streak() -> None:
    study = study_of("A", "A")
    ended(study, "its controller died before the trial ended", retryable=True)
    ended(study, "A")
    streak = current_streak(study.trials)
    assert streak is not None and streak.numbers == [0, 1, 3]


def test_a_stop_is_recorded_and_the_next_streak_counts_only_later_trials() -> None:
    study = study_of("A", "A", "A")
    streak = current_streak(study.trials)
    assert streak is not None
    record = StopRecord.of(streak, run="host:1:2")
    record_stop(study, record)
    assert read_stop(study) == record
    assert current_streak(study.trials, after=record.after) is None
    assert ended_after(study.trials, record.after) == 0
    ended(study, "A")
    ended(study, "A")
    later = current_streak(study.trials, after=record.after)
    assert later is not None and later.numbers == [3, 4]
    assert ended_after(study.trials, record.after) == 2


def test_no_stop_in_a_fresh_study() -> None:
    assert read_stop(optuna.create_study()) is None
