"""A sweep of 500 near-zero trials in lane jobs, through the real `snakemake`: killed part-way
and re-run with `--rerun-incomplete`, it ends with one finished trial per slot, none lost and
none duplicated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from support.specs import base_spec
from support.workflow import objectives_env, run_snakemake, workflow_project

pytestmark = pytest.mark.e2e

SLOTS = 500
WARM = {"workers": 1, "poll_s": 0.02, "heartbeat_s": 1, "idle_timeout_s": 15}


def finished(cwd: Path) -> list[optuna.trial.FrozenTrial]:
    if not (cwd / "results" / "t" / "study.json").exists():
        return []
    study = optuna.load_study(study_name="t", storage=f"sqlite:///{cwd}/results/t/study.db")
    return [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()]


def test_a_killed_sweep_of_500_slots_reruns_without_losing_or_duplicating_trials(
    tmp_path: Path,
) -> None:
    sweep = base_spec(
        objective={"function": "sweeps.objectives.toy:sleep", "args": {"seconds": 0.0}},
        budget={"n_trials": SLOTS},
        dispatch={"mode": "warm", "poll_interval_s": 0.02, "warm": WARM},
    )
    cwd = workflow_project(tmp_path, sweep)
    first = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "2"],
        cwd=cwd,
        env=objectives_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 120
    while len(finished(cwd)) < 100:
        assert time.time() < deadline, "the first run finished no trials"
        assert first.poll() is None, "the first run ended before it was killed"
        time.sleep(0.5)
    os.killpg(first.pid, signal.SIGKILL)  # snakemake and every lane it started
    first.wait()
    before = len(finished(cwd))
    assert before < SLOTS

    assert run_snakemake(cwd, "--unlock").returncode == 0  # a killed snakemake leaves its lock
    rerun = run_snakemake(cwd, "--cores", "2", "--rerun-incomplete", timeout=1800)
    assert rerun.returncode == 0, rerun.stderr[-4000:]

    study = optuna.load_study(study_name="t", storage=f"sqlite:///{cwd}/results/t/study.db")
    trials = study.get_trials(deepcopy=False)
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    complete = Counter(
        t.system_attrs["sweeps:slot"]
        for t in trials
        if t.state.is_finished() and not t.system_attrs.get("sweeps:retryable")
    )
    assert sorted(complete) == list(range(SLOTS))  # none lost
    assert set(complete.values()) == {1}  # none duplicated
    others = [t for t in trials if t.system_attrs.get("sweeps:retryable")]
    assert all(t.state == TrialState.FAIL for t in others)  # only trials cut by the kill
    numbers = {t.system_attrs["sweeps:slot"]: t.number for t in trials if t not in others}
    for slot in (0, 1, SLOTS // 2, SLOTS - 1):
        receipt = json.loads((cwd / "results" / "t" / "trials" / f"{slot}.json").read_text())
        assert receipt["number"] == numbers[slot]
