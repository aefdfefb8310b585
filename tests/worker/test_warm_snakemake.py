"""A warm-worker sweep through the real `snakemake` command: the trial jobs hand over, await."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import optuna
import psutil
import pytest
from optuna.trial import TrialState
from support.specs import base_spec
from support.workflow import objectives_env, run_snakemake, start_snakemake, workflow_project

pytestmark = pytest.mark.e2e


def test_snakemake_sweep_in_warm_mode(tmp_path: Path) -> None:
    warm = {"workers": 1, "trials_per_gpu": 2, "idle_timeout_s": 20, "poll_s": 0.05}
    sweep = base_spec(
        budget={"n_trials": 6},
        parallelism=3,
        dispatch={"poll_interval_s": 0.1, "mode": "warm", "warm": warm},
    )
    workflow_project(tmp_path, sweep)
    done = run_snakemake(tmp_path, "--cores", "3")
    (tmp_path / "results" / "t" / "workers" / "STOP").touch()  # idle lanes exit now
    assert done.returncode == 0, done.stderr[-3000:]
    storage = f"sqlite:///{tmp_path}/results/t/study.db"
    trials = optuna.load_study(study_name="t", storage=storage).trials
    assert len(trials) == 6 and all(t.state == TrialState.COMPLETE for t in trials)
    assert {t.user_attrs["dispatch"] for t in trials} == {"warm"}
    assert len({t.user_attrs["worker"] for t in trials}) == 1  # one worker job, two lanes
    assert len({t.user_attrs["pid"] for t in trials}) <= 2
    assert (tmp_path / "results" / "t" / "report.html").exists()


def lanes_of(cwd: Path) -> list[psutil.Process]:
    """The warm lanes running in ``cwd``: forked by their worker job (which outlives the
    controllers, in its own session), so with its command line."""
    lanes = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            parent = proc.parent()
            command = proc.cmdline()
            if (
                parent is not None
                and "submitit" in " ".join(command)
                and command == parent.cmdline()
                and Path(proc.cwd()) == cwd
            ):
                lanes.append(proc)
    return lanes


def test_ctrl_c_after_a_lane_died_and_a_plain_rerun_completes_the_budget(tmp_path: Path) -> None:
    """A lane killed (kill -9), then Ctrl-C to the group: the plain re-run (no
    --rerun-incomplete) runs every slot to its end, with no trial run twice."""
    warm = {"workers": 1, "trials_per_gpu": 2, "idle_timeout_s": 20, "poll_s": 0.05}
    sweep = base_spec(
        objective="support.objectives:misbehave",
        space={
            "mode": {"type": "categorical", "choices": ["sleep"]},
            "x": {"type": "float", "low": 0.0, "high": 1.0},
        },
        budget={"n_trials": 4},
        parallelism=2,
        pruner=None,
        dispatch={"poll_interval_s": 0.1, "mode": "warm", "warm": warm},
    )
    workflow_project(tmp_path, sweep)
    env = {**objectives_env(), "SWEEPS_TEST_SLEEP_S": "60"}
    proc = start_snakemake(tmp_path, "--cores", "3", env=env)
    deadline = time.time() + 120
    while len(lanes_of(tmp_path)) < 2 or len(running(tmp_path)) < 2:
        assert time.time() < deadline and proc.poll() is None, "the lanes did not start"
        time.sleep(0.3)
    lanes_of(tmp_path)[0].kill()
    time.sleep(1)
    os.killpg(proc.pid, signal.SIGINT)
    output, _ = proc.communicate(timeout=90)
    assert proc.returncode != 0, output[-3000:]
    (tmp_path / "results" / "t" / "workers" / "STOP").unlink(missing_ok=True)

    rerun = run_snakemake(
        tmp_path, "--cores", "3", env={**objectives_env(), "SWEEPS_TEST_SLEEP_S": "0"}
    )
    (tmp_path / "results" / "t" / "workers" / "STOP").touch()  # idle lanes exit now
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "IncompleteFilesException" not in rerun.stderr
    trials = study_trials(tmp_path)
    final = [t for t in trials if not t.system_attrs.get("sweeps:retryable")]
    assert sorted(t.system_attrs["sweeps:slot"] for t in final) == [0, 1, 2, 3]
    assert all(t.state == TrialState.COMPLETE for t in final)


def study_trials(cwd: Path) -> list[optuna.trial.FrozenTrial]:
    storage = f"sqlite:///{cwd}/results/t/study.db"
    return optuna.load_study(study_name="t", storage=storage).trials


def running(cwd: Path) -> list[optuna.trial.FrozenTrial]:
    if not (cwd / "results" / "t" / "study.json").exists():
        return []
    return [t for t in study_trials(cwd) if t.state == TrialState.RUNNING and t.intermediate_values]
