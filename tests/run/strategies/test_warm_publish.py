"""Warm workers end to end: controllers as real processes, workers as LocalExecutor jobs."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from optuna.trial import FrozenTrial, TrialState
from support.controllers import exited_controller

from sweeps.controller.lanes import run_lane_job
from sweeps.controller.slot import run_slot
from sweeps.job.devices import VISIBILITY_VARS, visibility_var
from sweeps.run.executors.slurm.script import sbatch_parameters
from sweeps.run.strategies.warm import WarmWorkers
from sweeps.run.strategies.warm.pool import WorkerPool, worker_job_spec
from sweeps.run.strategies.warm.publish import lane_alive
from sweeps.spec import SweepSpec
from sweeps.spec.facts import BOUND_CPUS, BOUND_GPUS, BOUND_NODE
from sweeps.storage.optuna_internals import storage_of, study_id_of, trial_id_of
from sweeps.storage.proxy import PROXY_ENV
from sweeps.study import load_study, prepare_study
from sweeps.study.controllers import this_controller
from sweeps.study.keys import Key
from sweeps.worker.lanes import lane_bindings

WARM = {"heartbeat_s": 0.2, "heartbeat_timeout_s": 3, "poll_s": 0.05}


@pytest.fixture
def started() -> Iterator[list[WorkerPool]]:
    """Stop the workers a test started (they would otherwise idle out on their own)."""
    pools: list[WorkerPool] = []
    yield pools
    for pool in pools:
        pool.stop()
        deadline = time.monotonic() + 30
        while pool.live() and time.monotonic() < deadline:
            time.sleep(0.2)


def warm_spec(  # type: ignore[no-untyped-def]
    make_spec,
    workers: int,
    per_gpu: int = 1,
    idle_s: float = 3,
    warm: dict[str, Any] | None = None,
    **overrides: Any,
):
    settings = {"workers": workers, "trials_per_gpu": per_gpu, "idle_timeout_s": idle_s}
    dispatch = {
        "poll_interval_s": 0.1,
        "mode": "warm",
        "warm": {**WARM, **settings, **(warm or {})},
    }
    path, spec = make_spec(dispatch=dispatch, **overrides)
    prepare_study(spec)
    return path, spec


def sleeping(seconds: float) -> dict[str, Any]:
    """An objective that sleeps ``seconds`` in every slot."""
    return {
        "function": "support.objectives:fail_or_sleep",
        "args": {"fail_slot": -1, "seconds": seconds},
    }


def run_controllers(spec: SweepSpec, slots: range, parallel: int) -> None:
    """Run slots ``parallel`` at a time, as Snakemake would (threads here: cheaper than
    processes on a small CI machine; the controller code is the same)."""
    with ThreadPoolExecutor(parallel) as pool:
        receipts = [
            pool.submit(run_slot, spec, slot, Path(f"results/t/trials/{slot}.json"))
            for slot in slots
        ]
        for receipt in receipts:
            receipt.result(timeout=120)


def finals(trials: list[FrozenTrial]) -> dict[int, FrozenTrial]:
    """The final trial of each slot (the slot's newest trial)."""
    by_slot: dict[int, FrozenTrial] = {}
    for trial in trials:
        by_slot[trial.system_attrs[Key.SLOT]] = trial
    return by_slot


def test_many_trials_through_two_warm_workers(make_spec, started) -> None:  # type: ignore[no-untyped-def]
    n = 10
    _, spec = warm_spec(
        make_spec,
        workers=2,
        idle_s=30,
        objective=sleeping(0.3),
        budget={"n_trials": n},
    )
    started.append(WorkerPool(spec))
    run_controllers(spec, range(n), parallel=4)
    trials = load_study(spec).trials
    assert len(trials) == n and all(t.state == TrialState.COMPLETE for t in trials)
    workers = {t.user_attrs["worker"] for t in trials}
    assert 1 <= len(workers) <= 2
    pids = {t.user_attrs["pid"] for t in trials}
    assert len(pids) <= 2 < n  # each lane process ran several trials
    assert all(t.user_attrs["dispatch"] == "warm" for t in trials)
    for t in trials:  # each trial was claimed and run exactly once
        assert Path(t.user_attrs["log_file"]).read_text().count("running with") == 1


def test_killed_worker_takes_down_only_its_trial(make_spec, started, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The controllers' own heartbeats (frequent here) must not pass for the dead lane's.
    monkeypatch.setenv("SWEEPS_HEARTBEAT_S", "0.3")
    n = 6
    _, spec = warm_spec(
        make_spec,
        workers=2,
        objective={"function": "support.objectives:die_once_in_slot", "args": {"slot": 1}},
        budget={"n_trials": n, "max_retries": 2},
    )
    started.append(WorkerPool(spec))
    run_controllers(spec, range(n), parallel=3)
    trials = load_study(spec).trials
    assert len(trials) == n + 1  # one retry, nothing else run twice
    final = finals(trials)
    assert sorted(final) == list(range(n))
    assert all(t.state == TrialState.COMPLETE for t in final.values())
    (lost,) = [t for t in trials if t.state == TrialState.FAIL]
    assert lost.system_attrs[Key.SLOT] == 1 and lost.system_attrs[Key.RETRYABLE]
    # the lane ran on this host: its exit is seen at once, not after heartbeat_timeout_s
    assert "lost: its lane process exited" in lost.user_attrs["fail_reason"]
    assert final[1].system_attrs[Key.ATTEMPT] == 1 and final[1].params == lost.params


def test_packed_trials_one_failing(make_spec, started) -> None:  # type: ignore[no-untyped-def]
    """Three lanes in one worker job; the failing trial does not disturb its neighbours."""
    _, spec = warm_spec(
        make_spec,
        workers=1,
        per_gpu=3,
        objective={
            "function": "support.objectives:fail_or_sleep",
            # the failing trial runs as long as the others: its lane is not free for another
            "args": {"fail_slot": 0, "seconds": 2.0, "fail_after": 2.0},
        },
        budget={"n_trials": 3},
    )
    started.append(WorkerPool(spec))
    run_controllers(spec, range(3), parallel=3)
    final = finals(load_study(spec).trials)
    assert final[0].state == TrialState.FAIL
    assert "packed trial failed on purpose" in final[0].user_attrs["fail_reason"]
    assert not final[0].system_attrs.get(Key.RETRYABLE)
    ok = [final[1], final[2]]
    assert all(t.state == TrialState.COMPLETE for t in ok)
    assert len({t.user_attrs["worker"] for t in final.values()}) == 1
    assert len({t.user_attrs["lane"] for t in final.values()}) == 3
    # The two good trials overlapped in time: they ran side by side.
    starts = sorted(t.intermediate_values[0] for t in ok)
    assert starts[1] - starts[0] < 1.5
    # With nothing left to do, the lanes and then the worker exit after idle_timeout_s.
    pool = WorkerPool(spec)
    deadline = time.monotonic() + 30
    while pool.live() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert pool.live() == []
    assert not (pool.folder / "STOP").exists()


def test_lanes_of_two_gpu_trials_run_bound_to_their_own_gpus(
    make_spec, started, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A worker of 4 GPUs, trials of 2: two lanes side by side, each process sees its own two."""
    for var in VISIBILITY_VARS:  # no variable in force: the worker's GPUs are 0..3
        monkeypatch.delenv(var, raising=False)
    warm = {**WARM, "workers": 1, "gpus_per_worker": 4, "idle_timeout_s": 5}
    _, spec = make_spec(
        objective={"function": "support.slurm_objectives:sees_gpus", "args": {"seconds": 1.5}},
        resources={"gpus": 2, "time_min": 2},
        budget={"n_trials": 2},
        dispatch={"poll_interval_s": 0.1, "mode": "warm", "warm": warm},
    )
    prepare_study(spec)
    started.append(WorkerPool(spec))
    run_controllers(spec, range(2), parallel=2)
    trials = load_study(spec).trials
    assert all(t.state == TrialState.COMPLETE for t in trials)
    var = visibility_var({})
    bound = sorted(t.user_attrs[BOUND_GPUS.key] for t in trials)
    assert bound == ["0,1", "2,3"]
    for trial in trials:  # what the lane recorded is what its trial's process saw
        log = Path(trial.user_attrs["log_file"]).read_text()
        assert f'"{var}": "{trial.user_attrs[BOUND_GPUS.key]}"' in log
        assert trial.user_attrs[BOUND_CPUS.key] and trial.user_attrs[BOUND_NODE.key]
    (_, first_end), (second_start, _) = sorted(  # the two ran side by side
        (t.user_attrs["started_at"], t.user_attrs["finished_at"]) for t in trials
    )
    assert second_start < first_end


def test_a_whole_node_binds_one_trial_per_gcd(make_spec) -> None:  # type: ignore[no-untyped-def]
    """LUMI standard-g: one worker job, 8 GCDs, each lane bound to its own (or k per GCD)."""
    _, spec = make_spec(
        resources={"gpus": 1, "time_min": 2},
        dispatch={"mode": "warm", "warm": {"gpus_per_worker": 8, "trials_per_gpu": 2}},
    )
    lumi = {"ROCR_VISIBLE_DEVICES": "0,1,2,3,4,5,6,7"}
    lanes = lane_bindings(spec, lumi)
    assert len(lanes) == 16
    assert [b.gpus for b in lanes] == [(str(i // 2),) for i in range(16)]
    job = worker_job_spec(spec)
    assert (job.resources.gpus, job.resources.cpus) == (8, 16)
    assert job.resources.time_min == spec.dispatch.warm.time_min


def test_a_worker_on_a_whole_node_partition_asks_for_the_whole_node(make_spec) -> None:  # type: ignore[no-untyped-def]
    """standard-g hands out whole nodes: the worker job asks for all 8 GCDs and each lane's
    cores, whatever a trial job's GPUs and cores per task would be."""
    slurm = {
        "partition": "standard-g",
        "gpus_per_node": 1,
        "cpus_per_task": 7,
        "limits": {"standard-g": {"whole_nodes": True, "gpus_per_node": 8}},
    }
    _, spec = make_spec(
        resources={"gpus": 1, "cpus": 7, "time_min": 2},
        dispatch={"executor": "slurm", "mode": "warm", "slurm": slurm},
    )
    job = worker_job_spec(spec)
    assert (job.resources.gpus, job.resources.cpus, job.resources.tasks_per_node) == (8, 56, 1)
    params = sbatch_parameters(job)
    assert (params["gpus_per_node"], params["cpus_per_task"]) == (8, 56)
    assert WorkerPool(spec).lanes == 8


def test_interrupted_controller_stops_workers_and_abandons_trial(make_spec, started) -> None:  # type: ignore[no-untyped-def]
    path, spec = warm_spec(
        make_spec, workers=1, objective="support.objectives:long_in_slot", idle_s=20
    )
    started.append(WorkerPool(spec))
    command = [sys.executable, "-m", "sweeps", "trial", "--spec", str(path), "--slot", "0"]
    controller = subprocess.Popen([*command, "--receipt", "results/t/trials/0.json"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        trials = load_study(spec).trials
        if (
            trials
            and trials[0].state == TrialState.RUNNING
            and Key.WORKER in trials[0].system_attrs
        ):
            break
        time.sleep(0.2)
    controller.send_signal(signal.SIGTERM)  # Snakemake stopped: the controller fails its trial
    assert controller.wait(timeout=30) == 130
    given_up = load_study(spec).trials[0]
    assert given_up.state == TrialState.FAIL and given_up.system_attrs[Key.RETRYABLE]

    # Stopping the sweep stops its workers: the lane leaves the abandoned (long) trial at once.
    deadline = time.monotonic() + 20
    while WorkerPool(spec).live() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not WorkerPool(spec).live()

    run_slot(spec, 1, Path("results/t/trials/1.json"))  # a re-run starts a fresh worker
    done = load_study(spec).trials[1]
    assert done.state == TrialState.COMPLETE
    assert done.user_attrs["pid"] != given_up.system_attrs[Key.WORKER]["pid"]


def test_workers_bound_to_another_runs_proxy_are_retired(make_spec, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A run's storage proxy ends with the run: a later run does not count the workers still
    bound to it (a Slurm run cancels them; the fault soak's warm sweep kills snakemake)."""
    _, spec = make_spec(dispatch={"mode": "warm"})
    pool = WorkerPool(spec)
    pool.folder.mkdir(parents=True)
    monkeypatch.setenv(PROXY_ENV, "0123456789abcdef@10.0.0.1:41000")  # this run's proxy
    for worker, proxy in (("wours", "0123456789abcdef@10.0.0.1:41000"), ("wold", "x@h:1")):
        record = {"worker": worker, "job_id": "1", "submitted_at": time.time(), "proxy": proxy}
        record["result"] = str(pool.folder / f"{worker}.pkl")
        (pool.folder / f"{worker}.json").write_text(json.dumps(record))
        (pool.folder / f"{worker}.beat").touch()
    assert pool.live() == ["wours"]
    assert sorted(p.name for p in pool.folder.iterdir()) == ["wours.beat", "wours.json"]


def test_a_worker_or_lane_killed_on_this_host_is_seen_gone_at_once(  # type: ignore[no-untyped-def]
    make_spec, tmp_path, monkeypatch
) -> None:
    """A killed local worker's fresh beat file does not hold back a new worker for
    heartbeat_timeout_s, a trial claimed by a lane that exited is not running, and a trial
    whose controller died before publishing it has no lane to re-attach to."""
    monkeypatch.delenv(PROXY_ENV, raising=False)  # the records name no proxy: neither does this run
    _, spec = warm_spec(make_spec, workers=1)
    pool = WorkerPool(spec)
    pool.folder.mkdir(parents=True, exist_ok=True)
    for worker, process in (("wdead", exited_controller()), ("wlive", this_controller())):
        record = {
            "worker": worker,
            "job_id": "1",
            "submitted_at": time.time(),
            "result": str(tmp_path / f"{worker}.pkl"),
            "lanes": 1,
            "proxy": "",
        }
        (pool.folder / f"{worker}.json").write_text(json.dumps(record))
        (pool.folder / f"{worker}.beat").write_text(process)
    assert pool.live() == ["wlive"]
    assert not (pool.folder / "wdead.json").exists()

    prepare_study(spec)
    study = load_study(spec)
    trial = study.ask()
    storage = storage_of(study)
    beat = {Key.LANE_HEARTBEAT: time.time()}
    for process, alive in ((this_controller(), True), (exited_controller(), False)):
        storage.set_trial_system_attr(trial_id_of(trial), Key.WORKER, {"process": process})
        storage.set_trial_system_attr(
            trial_id_of(trial), Key.LANE_HEARTBEAT, beat[Key.LANE_HEARTBEAT]
        )
        assert lane_alive(spec, storage.get_trial(trial_id_of(trial))) is alive
    unpublished = storage.get_trial(trial_id_of(study.ask()))
    assert WarmWorkers().reattach(spec, study, unpublished) is None


@pytest.mark.parametrize("ahead", [1, 0])
def test_a_lane_job_hands_its_next_trial_over_while_the_current_one_runs(  # type: ignore[no-untyped-def]
    make_spec, started, ahead: int
) -> None:
    """One lane job, one worker lane: with ``hand_over_ahead: 1`` each next trial is published
    before the one running is told, so the freed lane claims it at once; with 0, only after."""
    _, spec = warm_spec(
        make_spec,
        workers=1,
        idle_s=30,
        objective=sleeping(1.5),
        budget={"n_trials": 3},
        warm={"hand_over_ahead": ahead},
    )
    started.append(WorkerPool(spec))
    run_lane_job(spec, 0, 1)
    trials = sorted(load_study(spec).trials, key=lambda t: t.number)
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3
    assert len({t.user_attrs["pid"] for t in trials}) == 1  # one lane ran them all
    for before, after in itertools.pairwise(trials):
        published_at = after.system_attrs[Key.WARM_TASK]["published_at"]
        assert before.datetime_complete is not None
        told_at = before.datetime_complete.timestamp()
        assert (published_at < told_at) == bool(ahead), (before.number, published_at, told_at)


def test_a_waiting_trial_published_under_other_settings_is_not_re_attached(make_spec) -> None:  # type: ignore[no-untyped-def]
    """No worker of this sweep would claim it: its slot fails it and starts another."""
    from sweeps.study.slots import create_slot_trial
    from sweeps.worker.queue import spec_key

    _, spec = warm_spec(make_spec, workers=1)
    study = load_study(spec)
    storage = storage_of(study)
    for slot, key in ((0, spec_key(spec)), (1, "other-settings")):
        trial = create_slot_trial(study, slot=slot, attempt=0)
        storage.set_trial_system_attr(trial_id_of(trial), Key.WARM_TASK, {"key": key})
        storage.set_trial_state_values(trial_id_of(trial), TrialState.WAITING)
    ours, other = sorted(study.trials, key=lambda t: t.number)
    assert WarmWorkers().reattach(spec, study, ours) is not None
    assert WarmWorkers().reattach(spec, study, other) is None


def test_trials_handed_over_ahead_start_no_worker_beyond_the_parallelism(  # type: ignore[no-untyped-def]
    make_spec, monkeypatch
) -> None:
    """Four published trials at ``parallelism: 2``, one lane per worker: two workers are
    needed, not four (the other two trials wait for a lane that frees). The submission is
    recorded rather than made: what is tested is how many the pool asks for."""
    from sweeps.study.slots import create_slot_trial
    from sweeps.worker.queue import spec_key

    _, spec = warm_spec(make_spec, workers=4, parallelism=2)
    study = load_study(spec)
    storage = storage_of(study)
    for slot in range(4):
        trial = create_slot_trial(study, slot=slot, attempt=0)
        storage.set_trial_system_attr(trial_id_of(trial), Key.WARM_TASK, {"key": spec_key(spec)})
        storage.set_trial_state_values(trial_id_of(trial), TrialState.WAITING)
    asked: list[int] = []
    monkeypatch.setattr(WorkerPool, "_start", lambda self, count: asked.append(count) or [])
    WorkerPool(spec).ensure(storage, study_id_of(study))
    assert asked == [2]
