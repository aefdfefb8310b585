"""A warm-worker sweep through the real `snakemake` command: the trial jobs hand over, await."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from support.specs import base_spec
from support.workflow import run_snakemake, workflow_project

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
