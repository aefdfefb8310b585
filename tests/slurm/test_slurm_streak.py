"""Fail fast on the real test cluster: a sweep whose trials all fail with the same cause stops
after three of them, cancelling the Slurm jobs still queued or running."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from optuna.trial import TrialState
from support.slurm import squeue_ids, start, sweeps_env, trials
from support.specs import base_spec
from support.workflow import workflow_project

from sweeps.study.keys import Key

pytestmark = [pytest.mark.slurm, pytest.mark.e2e, pytest.mark.usefixtures("slurm_cluster")]

CAUSE = "ModuleNotFoundError: No module named 'sweeps_test_fix_me'"
STOP_LINE = f"sweep stopped: 3 trials in a row failed with the same cause: {CAUSE}"


@pytest.mark.parametrize("controllers", ["processes", "threads"])
def test_same_cause_failures_stop_the_sweep_and_cancel_its_jobs(
    tmp_path: Path, controllers: str
) -> None:
    study = f"broken-{controllers}"
    sweep = base_spec(
        study=study,
        objective={
            "function": "support.streak_objectives:needs_missing_module",
            "args": {"slow_first_s": 120},  # the first trial's job runs while others fail
        },
        budget={"n_trials": 8},
        pruner=None,
        resources={"time_min": 3, "mem_gb": 0.5},
        dispatch={
            "executor": "slurm",
            "slurm": {"partition": "small-g", "status_interval_s": 1.0, "array_window_s": 0},
        },
    )
    cwd = workflow_project(tmp_path, sweep)
    threads = ("--config", "controllers=threads", "--force-use-threads")
    args = threads if controllers == "threads" else ()
    env = {**sweeps_env(), "SWEEPS_TEST_CALLS": str(cwd / "calls.txt")}
    proc = start(cwd, "--cores", "2", "--keep-going", *args, env=env)
    output, _ = proc.communicate(timeout=400)
    assert proc.returncode != 0
    assert output.count(STOP_LINE) == 1, output[-4000:]
    assert "cancelled (cancelled job" in output, output[-4000:]  # the first trial's job
    deadline = time.monotonic() + 30
    while squeue_ids(f"sweeps-{study}", "PENDING,RUNNING") and time.monotonic() < deadline:
        time.sleep(1)
    assert not squeue_ids(f"sweeps-{study}", "PENDING,RUNNING")
    ended = trials(cwd, study)
    assert not [t for t in ended if t.state == TrialState.RUNNING]
    failed = [
        t for t in ended if t.state == TrialState.FAIL and not t.system_attrs.get(Key.RETRYABLE)
    ]
    assert 3 <= len(failed) <= 4 and all(CAUSE in t.user_attrs["fail_reason"] for t in failed)
    assert len(ended) <= 4  # no trial started after the stop
