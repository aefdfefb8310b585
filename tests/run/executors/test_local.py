"""The local backend: a trial's time limit and the signal that killed it (real processes)."""

from __future__ import annotations

from pathlib import Path

from optuna.trial import TrialState

from sweeps.controller.slot import run_slot
from sweeps.run.executors.local import TIME_LIMIT_GRACE_S
from sweeps.study import load_study, prepare_study


def test_a_local_trial_gets_its_whole_time_limit_and_says_it_reached_it(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(objective="support.objectives:sleep_past_limit", resources={"time_min": 1})
    prepare_study(spec)
    run_slot(spec, 0, Path("results/t/trials/0.json"))
    trial = load_study(spec).trials[-1]
    assert trial.state == TrialState.FAIL
    assert trial.user_attrs["fail_reason"] == "time limit of 1 min reached"
    ran_s = trial.user_attrs["runtime_s"]
    # Start-up (a fresh Python importing Optuna) is not counted; submitit's own default would
    # have stopped it at about 30 s.
    assert 60 - TIME_LIMIT_GRACE_S - 10 <= ran_s <= 60, ran_s
