"""Stale trials: a RUNNING trial whose controller died is failed as retryable, on every backend."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from support.controllers import exited_controller
from support.databases import Backend
from support.specs import base_spec

from sweeps.cli import main
from sweeps.run.strategies import strategy_for
from sweeps.spec import spec_from_dict
from sweeps.storage import open_storage
from sweeps.storage.open import close_storage
from sweeps.storage.optuna_internals import storage_of, trial_id_of
from sweeps.study import load_study, prepare_study
from sweeps.study.controllers import controller_gone, this_controller
from sweeps.study.heartbeat import Heartbeat
from sweeps.study.keys import Key
from sweeps.study.slots import create_slot_trial, plan_slot, slot_trials
from sweeps.study.stale import controller_alive, fail_stale_trials


def test_heartbeat_and_stale_sweep(backend: Backend, unique_study: str) -> None:
    study = optuna.create_study(study_name=unique_study, storage=open_storage(backend.url))
    alive = create_slot_trial(study, slot=0, attempt=0)
    dead = create_slot_trial(study, slot=1, attempt=0)
    untagged = study.ask()  # not a sweep's trial: left alone
    fresh = create_slot_trial(study, slot=2, attempt=0)  # beat when created: alive
    storage = storage_of(study)
    storage.set_trial_system_attr(trial_id_of(dead), Key.CONTROLLER_HEARTBEAT, time.time() - 60)
    with Heartbeat(storage, trial_id_of(alive), interval_s=0.2):
        first = storage.get_trial(trial_id_of(alive)).system_attrs[Key.CONTROLLER_HEARTBEAT]
        time.sleep(0.7)
        assert storage.get_trial(trial_id_of(alive)).system_attrs[Key.CONTROLLER_HEARTBEAT] > first
        assert fail_stale_trials(study, grace_s=30) == [dead.number]
    assert fail_stale_trials(study, grace_s=30) == []  # idempotent
    gone = storage.get_trial(trial_id_of(dead))
    assert gone.state == TrialState.FAIL and gone.system_attrs[Key.RETRYABLE]
    assert "no heartbeat" in gone.user_attrs["fail_reason"]
    assert storage.get_trial(trial_id_of(alive)).state == TrialState.RUNNING
    assert storage.get_trial(trial_id_of(untagged)).state == TrialState.RUNNING
    assert storage.get_trial(trial_id_of(fresh)).state == TrialState.RUNNING
    assert plan_slot(slot_trials(study, 1), max_retries=2).action == "retry"


def test_status_reports_a_dead_controllers_trial_without_touching_the_study(
    make_spec,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A real controller (with its job) is SIGKILLed mid-trial; ``sweeps status`` run later
    reports its trial as silent but changes nothing (not a byte of the study file); the slot's
    next controller, which checks the job, fails it as stale and retryable."""
    path, spec = make_spec(
        objective="support.objectives:misbehave",
        space={"mode": {"type": "categorical", "choices": ["sleep"]}},
    )
    prepare_study(spec)
    env = {**os.environ, "SWEEPS_HEARTBEAT_S": "0.3"}
    controller = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sweeps",
            "trial",
            "--spec",
            str(path),
            "--slot",
            "0",
            "--receipt",
            "results/t/trials/0.json",
        ],
        env=env,
        start_new_session=True,
    )
    try:
        trial = _wait_for_heartbeat(spec)
    finally:
        os.killpg(controller.pid, signal.SIGKILL)  # the controller and its job die
        controller.wait()
    monkeypatch.setenv("SWEEPS_STALE_AFTER_S", "1")
    time.sleep(1.5)
    close_storage()
    database = Path("results/t/study.db")
    before = database.read_bytes()
    assert main(["status", "--spec", str(path)]) == 0
    assert f"have not sent a heartbeat for over 1s: [{trial.number}]" in capsys.readouterr().out
    assert main(["status", "--spec", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["silent_trials"] == [trial.number]
    close_storage()
    assert database.read_bytes() == before  # read-only: nothing written to the study
    study = load_study(spec)
    assert study.trials[trial.number].state == TrialState.RUNNING
    mode = strategy_for(spec)
    failed = fail_stale_trials(study, still_running=lambda t: mode.still_running(spec, t))
    assert failed == [trial.number]
    frozen = load_study(spec).trials[trial.number]
    assert frozen.state == TrialState.FAIL and frozen.system_attrs[Key.RETRYABLE]
    assert plan_slot(slot_trials(load_study(spec), 0), spec.budget.max_retries).action == "retry"


def _wait_for_heartbeat(spec, timeout_s: float = 60):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        trials = load_study(spec).get_trials(states=(TrialState.RUNNING,))
        beating = [t for t in trials if Key.CONTROLLER_HEARTBEAT in t.system_attrs]
        if beating and beating[0].intermediate_values:  # its job is running too
            return beating[0]
        time.sleep(0.2)
    raise AssertionError("the controller never started its trial")


def test_a_trial_records_its_controller_which_is_known_gone_once_exited(workdir) -> None:  # type: ignore[no-untyped-def]
    study = prepare_study(spec_from_dict(base_spec()))
    trial = create_slot_trial(study, slot=0, attempt=0)
    mine = storage_of(study).get_trial(trial_id_of(trial))
    assert mine.system_attrs[Key.CONTROLLER] == this_controller()
    assert controller_alive(mine) and not controller_gone(mine)
    storage_of(study).set_trial_system_attr(trial_id_of(trial), Key.CONTROLLER, exited_controller())
    orphan = storage_of(study).get_trial(trial_id_of(trial))
    assert controller_gone(orphan) and not controller_alive(orphan)
