"""A stale controller heartbeat fails a trial only when nothing works on it any more."""

from __future__ import annotations

import time

import pytest
from optuna.trial import TrialState

from sweeps.run.strategies import check_dispatch, strategy_for
from sweeps.storage.optuna_internals import storage_of, trial_id_of
from sweeps.study import prepare_study
from sweeps.study.keys import Key
from sweeps.study.slots import create_slot_trial
from sweeps.study.stale import fail_stale_trials


def test_a_trial_a_warm_lane_still_runs_is_not_stale(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(dispatch={"mode": "warm", "warm": {"heartbeat_timeout_s": 30}})
    study = prepare_study(spec)
    running, abandoned = (create_slot_trial(study, slot=s, attempt=0) for s in (0, 1))
    storage = storage_of(study)
    for trial in (running, abandoned):  # both controllers died long ago
        storage.set_trial_system_attr(
            trial_id_of(trial), Key.CONTROLLER_HEARTBEAT, time.time() - 600
        )
    storage.set_trial_system_attr(trial_id_of(running), Key.LANE_HEARTBEAT, time.time())
    storage.set_trial_system_attr(trial_id_of(abandoned), Key.LANE_HEARTBEAT, time.time() - 120)

    failed = fail_stale_trials(
        study, grace_s=60, still_running=lambda t: strategy_for(spec).still_running(spec, t)
    )
    assert failed == [abandoned.number]
    assert storage.get_trial(trial_id_of(running)).state == TrialState.RUNNING


def test_a_sweep_its_mode_cannot_run_is_refused_naming_the_file(make_spec) -> None:  # type: ignore[no-untyped-def]
    path, spec = make_spec(resources={"gpus": 2, "time_min": 2}, dispatch={"mode": "warm"})
    with pytest.raises(ValueError, match=r"resources\.gpus=2") as error:
        check_dispatch(spec, path)
    assert str(error.value).startswith(f"{path}: dispatch.mode: warm")
