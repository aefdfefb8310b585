"""Warm workers holding a whole node of an exclusive partition (standard-g) on the real test
cluster: one worker job asks for all 8 GPUs and binds each lane to its own, so trials that run
at the same time never share a GPU; trials of 4 GPUs run as two lanes of 4."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from optuna.trial import FrozenTrial, TrialState
from support.slurm import sleep_sweep, start, sweeps_env, trials
from support.workflow import workflow_project

from sweeps.job.allocation import parse_ranges
from sweeps.spec.facts import (
    BILLED_GPU_HOURS,
    BILLED_NODE_HOURS,
    BOUND_CPUS,
    BOUND_GPUS,
    BOUND_NODE,
    JOB_ELAPSED_S,
    JOB_SHARE,
)

pytestmark = [pytest.mark.slurm, pytest.mark.e2e, pytest.mark.usefixtures("slurm_cluster")]

# How a site declares standard-g (profiles/lumi/site.yaml): whole nodes of 8 GPUs.
WHOLE_NODES = {"standard-g": {"whole_nodes": True, "gpus_per_node": 8}}
BY_THE_NODE = {"partitions": {"standard-g": {"rule": "whole_node", "per_node": 4}}}
THREADS = ("--force-use-threads", "--config", "controllers=threads")


def whole_node_project(tmp: Path, study: str, gpus: int, n_trials: int, parallelism: int) -> Path:
    """A warm sweep on standard-g, one worker, trials of ``gpus`` GPUs that sleep 2 s."""
    sweep = sleep_sweep(
        study,
        2,
        budget={"n_trials": n_trials, "max_retries": 0},
        parallelism=parallelism,
        resources={"gpus": gpus, "time_min": 2, "mem_gb": 0.5, "tasks_per_node": 1},
        dispatch={
            "executor": "slurm",
            "mode": "warm",
            "warm": {"workers": 1, "time_min": 10, "heartbeat_s": 1, "idle_timeout_s": 60},
            "slurm": {
                "partition": "standard-g",
                "status_interval_s": 1.0,
                "limits": WHOLE_NODES,
                "billing": BY_THE_NODE,
            },
        },
    )
    sweep["objective"] = {"function": "support.slurm_objectives:sees_gpus", "args": {"seconds": 2}}
    return workflow_project(tmp, sweep)


def run_sweep(cwd: Path, study: str, cores: int) -> list[FrozenTrial]:
    """Run the workflow to the end; its trials, every one of them COMPLETE."""
    proc = start(cwd, "--cores", str(cores), *THREADS, env=sweeps_env())
    output, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, output[-4000:]
    ended = trials(cwd, study)
    assert ended and all(t.state == TrialState.COMPLETE for t in ended), output[-4000:]
    return ended


def span(trial: FrozenTrial) -> tuple[float, float]:
    """When the trial's objective ran, from the facts its lane recorded."""
    attrs = trial.user_attrs
    return (
        datetime.fromisoformat(attrs["started_at"]).timestamp(),
        datetime.fromisoformat(attrs["finished_at"]).timestamp(),
    )


def overlapping(ended: list[FrozenTrial]) -> list[tuple[FrozenTrial, FrozenTrial]]:
    """Pairs of trials that ran at the same time."""
    pairs = []
    for i, first in enumerate(ended):
        for second in ended[i + 1 :]:
            (a0, a1), (b0, b1) = span(first), span(second)
            if a0 < b1 and b0 < a1:
                pairs.append((first, second))
    return pairs


def seen_gpus(cwd: Path, trial: FrozenTrial) -> str:
    """The GPUs the trial's process saw (its log's ``visible GPUs:`` line)."""
    log = (cwd / trial.user_attrs["log_file"]).read_text()
    line = next(x for x in log.splitlines() if "visible GPUs: " in x)
    (value,) = json.loads(line.split("visible GPUs: ", 1)[1]).values()
    return str(value)


def alloc_gpus(job_id: str) -> int:
    """The GPUs Slurm allocated to job ``job_id`` (sacct AllocTRES)."""
    out = subprocess.run(
        ["sacct", "-X", "-n", "-P", "-o", "AllocTRES", "-j", job_id],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    tres = dict(part.split("=", 1) for part in out.split()[0].split(","))
    return int(tres["gres/gpu"])


def one_whole_node_worker(ended: list[FrozenTrial]) -> str:
    """The single worker job that ran every trial, on one node: its id."""
    (job_id,) = {t.user_attrs["slurm.job_id"] for t in ended}
    assert {t.user_attrs["slurm.partition"] for t in ended} == {"standard-g"}
    (node,) = {t.user_attrs["slurm.node"] for t in ended}
    assert {t.user_attrs[BOUND_NODE.key] for t in ended} == {node}
    assert alloc_gpus(job_id) == 8  # the worker asked for (and holds) the whole node's GPUs
    return job_id


def billed_by_share(ended: list[FrozenTrial], share: float) -> None:
    """Each trial is billed its lane's ``share`` of the whole node for its time, in node-hours
    and in GPU-hours (4 per node-hour)."""
    for trial in ended:
        attrs = trial.user_attrs
        node_hours = round(share * attrs[JOB_ELAPSED_S.key] / 3600, 6)
        assert attrs[JOB_SHARE.key] == share
        assert attrs[BILLED_NODE_HOURS.key] == node_hours
        assert attrs[BILLED_GPU_HOURS.key] == pytest.approx(4 * node_hours, abs=4e-6)


def test_one_gpu_trials_fill_a_whole_node_one_per_gpu(tmp_path: Path) -> None:
    cwd = whole_node_project(tmp_path, "wholenode", 1, n_trials=10, parallelism=8)
    ended = run_sweep(cwd, "wholenode", cores=8)
    assert len(ended) == 10
    one_whole_node_worker(ended)
    bound = {t.number: t.user_attrs[BOUND_GPUS.key] for t in ended}
    assert set(bound.values()) <= {str(i) for i in range(8)}
    # Each trial's process saw only its lane's GPU (no variable was set: Slurm's indices).
    assert all(seen_gpus(cwd, t) == bound[t.number] for t in ended)
    pairs = overlapping(ended)
    assert len(pairs) >= 8  # the lanes ran side by side
    assert all(bound[a.number] != bound[b.number] for a, b in pairs)
    # Each lane recorded its share of the node's 56 cores: 7 per lane, disjoint between lanes.
    cores = {bound[t.number]: parse_ranges(t.user_attrs[BOUND_CPUS.key]) for t in ended}
    assert all(len(c) == 7 for c in cores.values())
    assert len(set().union(*cores.values())) == 7 * len(cores)
    billed_by_share(ended, 1 / 8)


def test_four_gpu_trials_run_as_two_lanes_of_four(tmp_path: Path) -> None:
    cwd = whole_node_project(tmp_path, "wholenode4", 4, n_trials=4, parallelism=2)
    ended = run_sweep(cwd, "wholenode4", cores=2)
    one_whole_node_worker(ended)
    bound = {t.number: t.user_attrs[BOUND_GPUS.key] for t in ended}
    assert set(bound.values()) == {"0,1,2,3", "4,5,6,7"}
    assert all(seen_gpus(cwd, t) == bound[t.number] for t in ended)
    pairs = overlapping(ended)
    assert pairs and all(bound[a.number] != bound[b.number] for a, b in pairs)
    billed_by_share(ended, 1 / 2)
