"""Trials that start together become one Slurm job array, on the real test cluster.

Controllers run as threads of this process, as under the cluster profiles. The trials are held
to one node (nid001, 56 CPUs) with 28 CPUs each: the third task of an array waits in the
queue, where Slurm shows it only in the array's collapsed record (``A_[2]``); a short
``vanished_after_s`` makes a pending task that the status board fails to find a lost attempt.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import optuna
import pytest
import yaml
from optuna.trial import FrozenTrial, TrialState
from support.controllers import exited_controller
from support.slurm import squeue_ids
from support.specs import base_spec

from sweeps.controller.slot import run_slot, trial_task
from sweeps.job.runner import run_trial
from sweeps.run.executors import make_executor, reattach
from sweeps.run.executors.arrays import submit_batch
from sweeps.spec import SweepSpec, load_spec
from sweeps.storage.optuna_internals import storage_of
from sweeps.study import prepare_study
from sweeps.study.keys import Key
from sweeps.study.slots import create_slot_trial

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]

STUDIES = ("arrays-together", "arrays-cancel", "arrays-reattach")
ARRAY_TASK = re.compile(r"^(\d+)_(\d+)$")


@pytest.fixture(scope="module", autouse=True)
def _no_jobs_left() -> Iterator[None]:
    yield
    for study in STUDIES:
        subprocess.run(["scancel", "-n", f"sweeps-{study}"], check=False)


def array_sweep(workdir: Path, study: str, n_trials: int, **args: Any) -> SweepSpec:
    """A sweep of ``support.slurm_objectives:by_slot`` on the test cluster, one CPU a trial."""
    data = base_spec(
        study=study,
        objective={"function": "support.slurm_objectives:by_slot", "args": args},
        space={"x": {"type": "float", "low": 0.0, "high": 1.0}},
        budget={"n_trials": n_trials, "max_retries": 0},
        resources={"time_min": 2, "mem_gb": 0.25, "cpus": 28},
        dispatch={
            "executor": "slurm",
            "slurm": {
                "partition": "small-g",
                "status_interval_s": 0.5,
                "vanished_after_s": 5,
                "additional": {"nodelist": "nid001"},
            },
        },
    )
    path = workdir / f"{study}.yaml"
    path.write_text(yaml.safe_dump(data))
    spec = load_spec(path)
    prepare_study(spec)
    return spec


def run_controllers(spec: SweepSpec, workdir: Path) -> list[threading.Thread]:
    """Start every slot's controller at once, each a thread (``controllers: threads``)."""
    errors: list[BaseException] = []

    def control(slot: int) -> None:
        try:
            run_slot(spec, slot, workdir / f"{spec.study}-{slot}.json")
        except BaseException as err:
            errors.append(err)
            raise

    threads = [
        threading.Thread(target=control, args=(slot,), name=f"slot-{slot}")
        for slot in range(spec.budget.n_trials)
    ]
    for thread in threads:
        thread.start()
    threads[0].errors = errors  # type: ignore[attr-defined]
    return threads


def join(threads: list[threading.Thread], timeout_s: float = 120) -> None:
    for thread in threads:
        thread.join(timeout_s)
        assert not thread.is_alive(), f"{thread.name} did not end within {timeout_s} s"
    assert not threads[0].errors, threads[0].errors  # type: ignore[attr-defined]


def by_slot(spec: SweepSpec) -> dict[int, FrozenTrial]:
    trials = optuna.load_study(study_name=spec.study, storage=spec.storage_url).trials
    return {t.system_attrs[Key.SLOT]: t for t in trials}


def sacct_tasks(array: str) -> dict[str, str]:
    """The array's tasks and their states, as accounting recorded them."""
    out = subprocess.run(
        ["sacct", "-X", "-n", "-P", "-o", "JobID,State", "-j", array],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(line.split("|", 1) for line in out.splitlines() if line)


def test_trials_starting_together_share_one_array(workdir: Path) -> None:
    spec = array_sweep(workdir, "arrays-together", 3, modes={"1": "crash"})
    join(run_controllers(spec, workdir))
    trials = by_slot(spec)
    ids = {slot: trial.system_attrs[Key.JOB_ID] for slot, trial in trials.items()}
    matches = {slot: ARRAY_TASK.match(job_id) for slot, job_id in ids.items()}
    assert all(matches.values()), f"not array tasks: {ids}"
    arrays = {m.group(1) for m in matches.values() if m}
    assert len(arrays) == 1, f"one sbatch expected, got arrays {arrays}"
    [array] = arrays
    indices = {slot: int(m.group(2)) for slot, m in matches.items() if m}
    assert sorted(indices.values()) == [0, 1, 2]
    for slot, trial in trials.items():
        assert trial.user_attrs["job_id"] == trial.user_attrs["slurm.job_id"] == ids[slot]
        assert trial.user_attrs["slurm.array_index"] == indices[slot]
    # each task's end is told to its own trial only
    assert trials[1].state == TrialState.FAIL
    assert trials[1].user_attrs["slurm.state"] == "FAILED"
    assert "about to die on purpose" in trials[1].user_attrs["traceback"]
    for slot in (0, 2):
        assert trials[slot].state == TrialState.COMPLETE, trials[slot].user_attrs
        assert trials[slot].value == pytest.approx(trials[slot].params["x"])
        assert "fail_reason" not in trials[slot].user_attrs
    tasks = sacct_tasks(array)
    assert sorted(tasks) == sorted(ids.values())
    assert tasks[ids[1]] == "FAILED"
    assert tasks[ids[0]] == tasks[ids[2]] == "COMPLETED"


def test_cancelling_one_array_task_leaves_the_others_running(workdir: Path) -> None:
    spec = array_sweep(workdir, "arrays-cancel", 2, seconds={"0": 120, "1": 8})
    threads = run_controllers(spec, workdir)
    name = f"sweeps-{spec.study}"
    deadline = time.monotonic() + 60
    while len(squeue_ids(name, "RUNNING")) < 2 or len(by_slot(spec)) < 2:
        assert time.monotonic() < deadline, "both array tasks should be running"
        time.sleep(0.5)
    victim = by_slot(spec)[0].system_attrs[Key.JOB_ID]
    survivor = by_slot(spec)[1].system_attrs[Key.JOB_ID]
    handle = reattach(spec, victim)  # what a controller holds; Ctrl-C cancels through it
    assert handle is not None
    handle.job.cancel(check=True)
    deadline = time.monotonic() + 10
    while victim in (running := squeue_ids(name, "RUNNING")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert victim not in running
    assert survivor in running
    join(threads)
    trials = by_slot(spec)
    assert trials[0].state == TrialState.FAIL
    assert trials[0].user_attrs.get("slurm.state") == "CANCELLED", trials[0].user_attrs
    assert trials[1].state == TrialState.COMPLETE
    assert trials[1].user_attrs["slurm.state"] in {"COMPLETED", "COMPLETING"}
    assert sacct_tasks(survivor.split("_")[0])[survivor] == "COMPLETED"


def test_restarted_controllers_reattach_to_their_array_tasks(
    workdir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Controllers that died after submitting an array: new ones pick up each task."""
    spec = array_sweep(workdir, "arrays-reattach", 3, seconds={"0": 2, "1": 2, "2": 2})
    study = optuna.load_study(study_name=spec.study, storage=spec.storage_url)
    tasks = []
    for slot in range(3):
        trial = create_slot_trial(study, slot, 0)
        trial.suggest_float("x", 0.0, 1.0)
        tasks.append(trial_task(spec, trial, slot, 0))
    jobs = submit_batch(make_executor(spec), tasks, run_trial)
    for task, job in zip(tasks, jobs, strict=True):
        storage_of(study).set_trial_system_attr(task.trial_id, Key.JOB_ID, job.job_id)
        storage_of(study).set_trial_system_attr(task.trial_id, Key.CONTROLLER, exited_controller())
    join(run_controllers(spec, workdir))
    trials = by_slot(spec)
    assert len(trials) == 3  # no new trials: the running ones were picked up
    err = capfd.readouterr().err
    for slot, job in enumerate(jobs):
        assert f"slot {slot} re-attaches to job {job.job_id}" in err
        assert trials[slot].state == TrialState.COMPLETE, trials[slot].user_attrs
        assert trials[slot].user_attrs["slurm.job_id"] == job.job_id
        assert trials[slot].user_attrs["slurm.array_index"] == slot
