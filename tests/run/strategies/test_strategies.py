"""Run strategies are looked up by name in one registry (a new one is a module and one line),
and a stale controller heartbeat fails a trial only when nothing works on it any more."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from optuna.trial import TrialState
from support.inline_strategy import InlineStrategy

from sweeps.controller.slot import run_slot, trial_task
from sweeps.controller.study_job import run_study_job
from sweeps.job.cost_values import COST_VALUES
from sweeps.run.strategies import STRATEGIES, check_dispatch, register_strategy, strategy_for
from sweeps.spec.facts import RUNTIME_S, TRIAL_GPU_HOURS
from sweeps.storage.optuna_internals import storage_of, trial_id_of
from sweeps.study import load_study, prepare_study
from sweeps.study.keys import Key
from sweeps.study.slots import create_slot_trial
from sweeps.study.stale import fail_stale_trials
from sweeps.worker.queue import task_from_record, task_record


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
    warm = {"mode": "warm", "warm": {"gpus_per_worker": 3}}
    path, spec = make_spec(resources={"gpus": 2, "time_min": 2}, dispatch=warm)
    with pytest.raises(ValueError, match=r"lanes of resources\.gpus: 2") as error:
        check_dispatch(spec, path)
    assert str(error.value).startswith(f"{path}: dispatch.warm.gpus_per_worker: 3")


def test_a_trial_is_charged_its_share_of_the_gpus_its_strategy_packs(make_spec) -> None:  # type: ignore[no-untyped-def]
    """The strategy says how many trials share each GPU; the trial's task carries it (through a
    warm lane's record too) and its trial_gpu_hours divide by it."""
    one_gpu = {"gpus": 1, "time_min": 2}
    packing = {"mode": "warm", "warm": {"trials_per_gpu": 4}}
    _, warm = make_spec(resources=one_gpu, dispatch=packing)
    _, job = make_spec("job.yaml", resources=one_gpu)
    trial = prepare_study(warm).ask()
    packed, alone = trial_task(warm, trial, 0, 0), trial_task(job, trial, 0, 0)
    assert (packed.trials_per_gpu, alone.trials_per_gpu) == (4, 1)
    assert task_from_record(warm, task_record(packed)).trials_per_gpu == 4
    an_hour = {RUNTIME_S.key: 3600.0}
    gpu_hours = COST_VALUES[TRIAL_GPU_HOURS.name]
    assert gpu_hours(warm, an_hour, packed.trials_per_gpu) == 0.25
    assert gpu_hours(job, an_hour, alone.trials_per_gpu) == 1.0


@pytest.fixture
def inline_strategy() -> Iterator[None]:
    register_strategy(InlineStrategy())  # the one line a new strategy needs
    yield
    del STRATEGIES["inline"]


@pytest.mark.usefixtures("inline_strategy")
def test_a_registered_strategy_runs_a_trial_slot(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(dispatch={"mode": "inline"})
    run_study_job(spec)
    receipt = run_slot(spec, 0, Path("results/t/trials/0.json"))
    trial = load_study(spec).trials[0]
    assert receipt.state == "COMPLETE" and trial.state == TrialState.COMPLETE
    assert trial.user_attrs["pid"] == os.getpid()  # it ran in this process: the inline strategy
    assert "job_id" not in trial.user_attrs  # no executor was asked for a job
    assert trial.intermediate_values  # reported through the study as in any job


def test_an_unknown_mode_is_refused_naming_the_file_and_the_known_ones(make_spec) -> None:  # type: ignore[no-untyped-def]
    path, spec = make_spec(dispatch={"mode": "wram"})
    with pytest.raises(ValueError, match=r"dispatch.mode: 'wram' is not a known mode") as error:
        check_dispatch(spec, path)
    assert str(path) in str(error.value) and "known: job, warm" in str(error.value)
    with pytest.raises(ValueError, match=r"dispatch\.mode: 'wram'"):
        run_study_job(spec)
    assert not Path("results/t/study.db").exists()  # refused before the study exists
