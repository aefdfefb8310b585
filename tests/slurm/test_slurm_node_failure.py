"""A node that goes down mid-trial, on the real test cluster: the trial runs again on the
nodes left, as the same job (requeued) in job mode and as a retry on a new worker in warm
mode; no trial is lost or duplicated, and the ranks of a multi-node trial do not hang."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from support.slurm import (
    bring_nodes_back,
    job_nodes,
    running,
    sleep_sweep,
    slurm_sweep,
    start,
    start_requeued_now,
    start_slot,
    sweeps_env,
    take_node_down,
    trials,
    wait_for_job,
)
from support.workflow import workflow_project

from sweeps.spec.facts import NODE, NODES, REQUEUES, WORLD_SIZE
from sweeps.study import prepare_study
from sweeps.study.keys import Key

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster", "nodes_back")]


@pytest.fixture
def nodes_back() -> Iterator[None]:
    yield
    bring_nodes_back()


def step_reached(marker: Path, step: int, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_text() and int(marker.read_text()) >= step:
            return
        time.sleep(0.3)
    raise AssertionError(f"{marker} never reached step {step}")


def job_runs(job_id: str) -> list[str]:
    """The states of every run of ``job_id`` (``sacct -D``: a requeued job's earlier runs too)."""
    out = subprocess.run(
        ["sacct", "-D", "-X", "-n", "-P", "-o", "State", "-j", job_id],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()


@pytest.mark.parametrize("nodes", [1, 2])
def test_a_trial_whose_node_goes_down_runs_again_on_other_nodes(workdir: Path, nodes: int) -> None:
    study = f"nodefail{nodes}"
    path, spec = slurm_sweep(
        workdir, study, mode="steps", seconds=10, resources={"nodes": nodes, "time_min": 3}
    )
    prepare_study(spec)
    proc = start_slot(workdir, path)
    job_id = wait_for_job(f"sweeps-{study}", timeout_s=120)
    held = job_nodes(job_id)
    assert len(held) == nodes
    step_reached(workdir / "results" / study / "checkpoints" / "slot-0" / "step", 3)
    take_node_down(held[-1])  # for two nodes: rank 0 lives on, its peer's node dies
    wait_for_job(f"sweeps-{study}", "PENDING")
    start_requeued_now(job_id)
    output, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, output

    [trial] = optuna.load_study(study_name=study, storage=spec.storage_url).trials
    assert trial.state == TrialState.COMPLETE  # the same trial: nothing lost, nothing doubled
    assert trial.user_attrs[REQUEUES.key] == 1
    assert job_runs(job_id)[:1] == ["NODE_FAIL"]
    resumed = workdir / "results" / study / "checkpoints" / "slot-0" / "resumed"
    assert int(resumed.read_text()) >= 3  # the second run went on from the checkpoint
    ran_on = trial.user_attrs.get(NODES.key) or [trial.user_attrs[NODE.key]]
    assert held[-1] not in ran_on and len(ran_on) == nodes
    if nodes > 1:
        assert trial.user_attrs[WORLD_SIZE.key] == nodes
    assert sorted(trial.intermediate_values) == list(range(10))


def test_a_warm_trial_whose_node_goes_down_is_retried_on_a_new_worker(tmp_path: Path) -> None:
    sweep = sleep_sweep(
        "warmfail",
        10,
        budget={"n_trials": 2, "max_retries": 1},
        parallelism=2,
        resources={"gpus": 1, "time_min": 2, "mem_gb": 0.5},
        dispatch={
            "executor": "slurm",
            "mode": "warm",
            "warm": {"workers": 2, "time_min": 10, "heartbeat_s": 1, "heartbeat_timeout_s": 8},
            "slurm": {"partition": "small-g", "gpus_per_node": 1, "status_interval_s": 1.0},
        },
    )
    cwd = workflow_project(tmp_path, sweep)
    proc = start(cwd, "--cores", "2", env=sweeps_env())
    job_id = running(proc, "sweeps-warmfail")
    time.sleep(4)  # a lane is running a trial
    [down] = job_nodes(job_id)
    take_node_down(down)
    output, _ = proc.communicate(timeout=240)
    assert proc.returncode == 0, output[-4000:]

    ended = trials(cwd, "warmfail")
    complete = [t for t in ended if t.state == TrialState.COMPLETE]
    lost = [t for t in ended if t.state == TrialState.FAIL]
    assert sorted(t.system_attrs[Key.SLOT] for t in complete) == [0, 1]  # one per slot
    assert lost, "no trial ran on the node taken down"
    for trial in lost:
        assert trial.system_attrs[Key.RETRYABLE]
        assert "NODE_FAIL" in trial.user_attrs["fail_reason"]
        [retry] = [t for t in complete if t.system_attrs[Key.SLOT] == trial.system_attrs[Key.SLOT]]
        assert retry.params == trial.params
    assert all(t.user_attrs[NODE.key] != down for t in complete)
    assert job_runs(job_id) == ["NODE_FAIL"]  # the worker job was replaced, not requeued
    assert len(ended) == 2 + len(lost)  # nothing else ran: the budget paid for finished trials
