"""Whether a sweep succeeded, and the one line said when no trial did (in-memory studies)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial
from support.specs import base_spec

from sweeps.report.outcome import CAUSE_CHARS, no_success_line, write_verdict
from sweeps.spec import SweepSpec
from sweeps.spec.load import spec_from_dict
from sweeps.study.keys import Key

OOM = "RuntimeError: CUDA out of memory. Tried to allocate {} MiB"


def spec_with(**budget: Any) -> SweepSpec:
    return spec_from_dict(base_spec(budget={"n_trials": 3, **budget}))


def add(
    study: optuna.Study,
    state: TrialState,
    reason: str | None = None,
    retryable: bool = False,
    started: datetime | None = None,
) -> None:
    trial = create_trial(
        state=state,
        value=1.0 if state == TrialState.COMPLETE else None,
        params={"x": 0.5},
        distributions={"x": FloatDistribution(-5, 5)},
        user_attrs={"fail_reason": reason} if reason else {},
        system_attrs={Key.RETRYABLE: True} if retryable else {},
    )
    if started is not None:  # when it started (naive local time, as Optuna records it)
        trial.datetime_start = started
    study.add_trial(trial)


def test_one_complete_trial_is_a_success() -> None:
    study = optuna.create_study()
    add(study, TrialState.FAIL, OOM.format(2500))
    add(study, TrialState.COMPLETE)
    add(study, TrialState.FAIL, OOM.format(3000))
    assert no_success_line(study, spec_with()) is None


def test_all_failed_with_one_cause_shows_a_real_message_where_to_look_and_the_spent_slots() -> None:
    study = optuna.create_study()
    for size in (2500, 3279.2, 812.5):
        add(study, TrialState.FAIL, OOM.format(size))
    line = no_success_line(study, spec_with())
    assert line is not None and "\n" not in line
    assert line.startswith("sweeps: no trial of sweep 't' succeeded (3 failed, 0 pruned of 3 ")
    assert f"; all with {OOM.format(812.5)};" in line  # one real message, the last one
    assert "results/t/trials.csv (column user_attrs_fail_reason), results/t/report.html" in line
    assert line.endswith(
        "budget.n_trials (3) is spent: fix the cause, then raise budget.n_trials to run more trials"
    )


def test_the_most_common_cause_is_named_and_retried_attempts_do_not_count() -> None:
    study = optuna.create_study()
    add(study, TrialState.FAIL, "KeyError: 'x'")
    add(study, TrialState.FAIL, OOM.format(100))
    add(study, TrialState.FAIL, "its controller died", retryable=True)
    add(study, TrialState.PRUNED)
    add(study, TrialState.FAIL, OOM.format(200))
    line = no_success_line(study, spec_with(n_trials=5))
    assert line is not None
    assert "(3 failed, 1 pruned of 5 trial slots); 2 of them with " + OOM.format(200) in line
    assert line.endswith("fix the cause and run again: the slots left start trials")


def test_a_spent_budget_is_named_as_what_ended_the_sweep() -> None:
    study = optuna.create_study()
    hour_ago = datetime.now() - timedelta(hours=1)
    add(
        study, TrialState.FAIL, "cancelled: budget deadline spent", retryable=True, started=hour_ago
    )
    line = no_success_line(study, spec_with(deadline="30m"))
    assert line is not None and "(0 failed, 0 pruned of 3 trial slots);" in line
    assert line.endswith(
        "budget deadline: 60 min of 30 min spent, 0 min left: raise that budget and run again"
    )
    add(study, TrialState.FAIL, "KeyError: 'x'")  # a failure of its own: the cause comes first
    line = no_success_line(study, spec_with(deadline="30m"))
    assert line is not None and line.endswith(": fix the cause, raise that budget and run again")


@pytest.mark.parametrize("reason", ["ValueError: " + "very long " * 100, "two\nlines   here"])
def test_the_line_stays_one_short_line(reason: str) -> None:
    study = optuna.create_study()
    add(study, TrialState.FAIL, reason)
    line = no_success_line(study, spec_with(n_trials=1))
    assert line is not None and "\n" not in line
    shown = line.split("; all with ", 1)[1].split("; each trial's reason", 1)[0]
    assert len(shown) <= CAUSE_CHARS
    assert shown == " ".join(reason.split()) or shown.endswith("…")


def test_an_empty_study_has_not_succeeded() -> None:
    line = no_success_line(optuna.create_study(), spec_with())
    assert line is not None and "(0 failed, 0 pruned of 3 trial slots);" in line


def test_the_verdict_file_says_ok_or_failed_then_the_line_to_show(tmp_path: Path) -> None:
    """What the workflow's last step reads (in the shell) to pass or fail with one line."""
    study = optuna.create_study()
    add(study, TrialState.FAIL, OOM.format(2500))
    path = tmp_path / "logs" / "verdict.txt"
    assert write_verdict(study, spec_with(), path) is False
    status, line = path.read_text().splitlines()
    assert status == "failed" and line == no_success_line(study, spec_with())
    add(study, TrialState.COMPLETE)
    assert write_verdict(study, spec_with(), path) is True
    assert path.read_text().splitlines() == ["ok", "t: 1 trial(s) complete"]
