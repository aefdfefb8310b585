"""Command objectives through the real `snakemake` command, in job mode and warm mode."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from support.specs import base_spec
from support.workflow import run_snakemake, workflow_project

pytestmark = pytest.mark.e2e

STUB = Path(__file__).resolve().parents[1] / "support" / "programs" / "train_stub.py"


def trials(root: Path) -> list[optuna.trial.FrozenTrial]:
    storage = f"sqlite:///{root}/results/t/study.db"
    return optuna.load_study(study_name="t", storage=storage).trials


def test_a_script_reports_live_and_is_pruned(tmp_path: Path) -> None:
    sweep = base_spec(
        objective={
            "command": ["${interpreter}", str(STUB), "--x", "{x}"],
            "env": {"STUB_CLIENT": "1", "STUB_STEPS": "40", "STUB_SLEEP_S": "0.05"},
        },
        space={"x": {"type": "float", "low": 1.0, "high": 5.0}},
        pruner={"name": "ThresholdPruner", "args": {"upper": 0.5}},  # prunes every x at step 1
        budget={"n_trials": 2},
    )
    workflow_project(tmp_path, sweep)
    done = run_snakemake(tmp_path, "--cores", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    found = trials(tmp_path)
    assert [t.state for t in found] == [TrialState.PRUNED] * 2
    assert all(t.intermediate_values == {1: t.params["x"]} for t in found)


def test_a_script_in_warm_mode(tmp_path: Path) -> None:
    warm = {"workers": 1, "trials_per_gpu": 2, "idle_timeout_s": 20, "poll_s": 0.05}
    sweep = base_spec(
        objective={"command": f"${{interpreter}} {STUB} --x={{x}}"},
        budget={"n_trials": 3},
        dispatch={"poll_interval_s": 0.1, "mode": "warm", "warm": warm},
    )
    workflow_project(tmp_path, sweep)
    done = run_snakemake(tmp_path, "--cores", "2")
    (tmp_path / "results" / "t" / "workers" / "STOP").touch()
    assert done.returncode == 0, done.stderr[-3000:]
    found = trials(tmp_path)
    assert [t.state for t in found] == [TrialState.COMPLETE] * 3
    assert {t.user_attrs["dispatch"] for t in found} == {"warm"}
    for trial in found:
        assert trial.values == [pytest.approx(abs(trial.params["x"]) / 3)]
        assert trial.intermediate_values[1] == pytest.approx(abs(trial.params["x"]))
