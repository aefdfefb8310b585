"""Warm workers as Slurm jobs on the real test cluster: a worker job array runs trial after
trial; a killed snakemake re-attaches to trials the workers still run; Ctrl-C cancels the
worker jobs; a worker job cancelled by a user fails its trial without a retry."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from optuna.trial import TrialState
from support.slurm import running, sleep_sweep, squeue_ids, start, sweeps_env, trials
from support.specs import REPO
from support.workflow import workflow_project

from sweeps.spec.facts import BILLED_GPU_HOURS
from sweeps.spec.sites import read_site
from sweeps.study.keys import Key
from sweeps.study.spending import worker_overhead

LUMI_BILLING = read_site(REPO / "profiles" / "lumi" / "site.yaml")["dispatch"]["slurm"]["billing"]

pytestmark = [pytest.mark.slurm, pytest.mark.e2e, pytest.mark.usefixtures("slurm_cluster")]

THREADS = ("--cores", "2", "--force-use-threads", "--config", "controllers=threads")


def warm_project(
    tmp: Path,
    study: str,
    seconds: float,
    n_trials: int = 4,
    slurm: dict[str, Any] | None = None,
    **warm: Any,
) -> Path:
    """A workflow whose sweep runs ``n_trials`` trials of ``seconds`` on two warm workers."""
    sweep = sleep_sweep(
        study,
        seconds,
        budget={"n_trials": n_trials, "max_retries": 1},
        parallelism=2,
        resources={"gpus": 1, "time_min": 2, "mem_gb": 0.5},
        dispatch={
            "executor": "slurm",
            "mode": "warm",
            "warm": {"workers": 2, "time_min": 10, "heartbeat_s": 1, **warm},
            "slurm": {
                "partition": "small-g",
                "gpus_per_node": 1,
                "status_interval_s": 1.0,
                **(slurm or {}),
            },
        },
    )
    return workflow_project(tmp, sweep)


def run(cwd: Path, *args: str) -> tuple[int, str]:
    proc = start(cwd, *args, env=sweeps_env())
    output, _ = proc.communicate(timeout=400)
    return proc.returncode, output


def settled(name: str, timeout_s: float = 60) -> list[str]:
    """Wait until no job named ``name`` is queued or running; return any still there."""
    deadline = time.monotonic() + timeout_s
    while squeue_ids(name) and time.monotonic() < deadline:
        time.sleep(1)
    return squeue_ids(name)


def study_attrs(cwd: Path, study: str) -> dict[str, Any]:
    import optuna

    storage = f"sqlite:///{cwd}/results/{study}/study.db"
    return optuna.load_study(study_name=study, storage=storage).user_attrs


def sacct_states(job_ids: set[str]) -> dict[str, str]:
    out = subprocess.run(
        ["sacct", "-X", "-n", "-P", "-o", "JobID,State", "-j", ",".join(sorted(job_ids))],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(line.split("|")[:2] for line in out.splitlines() if "|" in line)


def test_warm_workers_run_the_sweep_as_one_job_array(tmp_path: Path) -> None:
    cwd = warm_project(tmp_path, "warm", seconds=1, n_trials=6, slurm={"billing": LUMI_BILLING})
    code, output = run(cwd, *THREADS)
    assert code == 0, output[-4000:]
    ended = trials(cwd, "warm")
    assert len(ended) == 6
    assert all(t.state == TrialState.COMPLETE for t in ended)
    jobs = {t.user_attrs["slurm.job_id"] for t in ended}
    assert len(jobs) <= 2 < len(ended)  # each worker job ran several trials
    assert len({job.split("_")[0] for job in jobs}) == 1  # the workers are one job array
    assert {t.user_attrs["slurm.partition"] for t in ended} == {"small-g"}
    assert {t.user_attrs["slurm.gpus"] for t in ended} == {1}
    assert all(t.user_attrs["slurm.queue_wait_s"] >= 0 for t in ended)
    assert all(t.user_attrs["slurm.array_index"] in (0, 1) for t in ended)
    # With the budget spent, the workers leave at once instead of idling on their GPUs.
    assert not settled("sweeps-warm", timeout_s=30)
    assert set(sacct_states(jobs).values()) == {"COMPLETED"}
    # Each trial is charged its lane's share of its worker (one GCD: 0.5 per hour) for its
    # time; what the workers held beyond that is the study's idle overhead.
    for trial in ended:
        run_s = trial.user_attrs["slurm.elapsed_s"]
        assert trial.user_attrs[BILLED_GPU_HOURS.key] == round(0.5 * run_s / 3600, 6)
    overhead = worker_overhead(study_attrs(cwd, "warm"), ended)
    assert overhead is not None and len(jobs) <= overhead.workers <= 2  # one may run none
    charged = sum(t.user_attrs[BILLED_GPU_HOURS.key] for t in ended)
    assert overhead.charged_gpu_hours == pytest.approx(charged)
    assert overhead.worker_billed_gpu_hours > charged and overhead.idle_gpu_hours > 0


def test_killed_snakemake_re_attaches_to_trials_on_warm_workers(tmp_path: Path) -> None:
    cwd = warm_project(tmp_path, "warmkill", seconds=8)
    first = start(cwd, *THREADS, env=sweeps_env())
    running(first, "sweeps-warmkill")
    time.sleep(4)  # the workers are running the first two trials
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert squeue_ids("sweeps-warmkill"), "the worker jobs outlive the controllers"
    assert run(cwd, "--unlock")[0] == 0
    code, output = run(cwd, *THREADS, "--rerun-incomplete")
    assert code == 0, output[-4000:]
    assert "re-attaches to its trial on the warm workers" in output
    ended = trials(cwd, "warmkill")
    # Re-attached, not retried: one trial per slot, every one complete.
    assert sorted(t.system_attrs["sweeps:slot"] for t in ended) == list(range(4))
    assert all(t.state == TrialState.COMPLETE for t in ended)


def test_ctrl_c_cancels_the_warm_worker_jobs(tmp_path: Path) -> None:
    cwd = warm_project(tmp_path, "warmint", seconds=120)
    proc = start(cwd, *THREADS, env=sweeps_env())
    job_id = running(proc, "sweeps-warmint")
    time.sleep(3)  # a worker has claimed a trial
    os.killpg(proc.pid, signal.SIGINT)
    output, _ = proc.communicate(timeout=120)
    assert "cancelled warm worker jobs" in output
    assert job_id in output
    assert not settled("sweeps-warmint", timeout_s=30)
    ended = trials(cwd, "warmint")
    assert ended and all(t.state == TrialState.FAIL for t in ended)  # retried on a re-run


def test_ctrl_c_with_on_interrupt_keep_leaves_the_workers_to_re_attach(tmp_path: Path) -> None:
    cwd = warm_project(tmp_path, "warmkeep", seconds=10, slurm={"on_interrupt": "keep"})
    proc = start(cwd, *THREADS, env=sweeps_env())
    job_id = running(proc, "sweeps-warmkeep")
    time.sleep(3)  # the workers are running the first two trials
    os.killpg(proc.pid, signal.SIGINT)
    output, _ = proc.communicate(timeout=120)
    assert "warm workers left running (on_interrupt: keep)" in output
    assert job_id in squeue_ids("sweeps-warmkeep")
    code, output = run(cwd, *THREADS, "--rerun-incomplete")
    assert code == 0, output[-4000:]
    assert "re-attaches to its trial on the warm workers" in output
    ended = trials(cwd, "warmkeep")
    assert sorted(t.system_attrs["sweeps:slot"] for t in ended) == list(range(4))
    assert all(t.state == TrialState.COMPLETE for t in ended)  # nothing was run twice


def test_a_worker_job_cancelled_by_a_user_is_a_lost_attempt_retried(tmp_path: Path) -> None:
    cwd = warm_project(
        tmp_path, "warmcancel", seconds=15, n_trials=1, workers=1, heartbeat_timeout_s=5
    )
    proc = start(cwd, *THREADS, env=sweeps_env())
    job_id = running(proc, "sweeps-warmcancel")
    deadline = time.monotonic() + 120
    while not any(Key.LANE_HEARTBEAT in t.system_attrs for t in trials(cwd, "warmcancel")):
        assert time.monotonic() < deadline and proc.poll() is None, "no trial ran on the worker"
        time.sleep(0.5)
    subprocess.run(["scancel", job_id], check=True)  # while its lane runs the trial
    output, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, output[-4000:]
    lost, retried = trials(cwd, "warmcancel")
    assert lost.state == TrialState.FAIL and lost.system_attrs.get(Key.RETRYABLE)
    assert "is CANCELLED" in lost.user_attrs["fail_reason"], lost.user_attrs["fail_reason"]
    assert retried.state == TrialState.COMPLETE  # on a new worker, with the same parameters
    assert retried.params == lost.params
