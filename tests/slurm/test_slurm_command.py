"""Command objectives as Slurm jobs on the test cluster, in job mode and warm mode: the script
runs inside the trial job, so it inherits ``slurm.setup`` (here: the metric's name)."""

from __future__ import annotations

from pathlib import Path

import pytest
from optuna.trial import TrialState
from support.slurm import start, sweeps_env, trials
from support.specs import base_spec
from support.workflow import workflow_project

pytestmark = [pytest.mark.slurm, pytest.mark.e2e, pytest.mark.usefixtures("slurm_cluster")]

STUB = Path(__file__).resolve().parents[1] / "support" / "programs" / "train_stub.py"


@pytest.mark.parametrize("mode", ["job", "warm"])
def test_command_objective_on_slurm(mode: str, tmp_path: Path) -> None:
    study = f"cmd-{mode}"
    slurm = {
        "partition": "small-g",
        "gpus_per_node": 1,
        "status_interval_s": 1.0,
        "setup": ["export STUB_METRIC=from_setup"],
    }
    sweep = base_spec(
        study=study,
        objective={"command": ["${interpreter}", str(STUB), "${args}"]},
        metrics=["from_setup"],
        budget={"n_trials": 2, "max_retries": 0},
        parallelism=2,
        resources={"gpus": 1, "time_min": 2, "mem_gb": 0.5},
        dispatch={
            "executor": "slurm",
            "mode": mode,
            "warm": {"workers": 1, "trials_per_gpu": 2, "time_min": 10, "heartbeat_s": 1},
            "slurm": slurm,
        },
    )
    workflow_project(tmp_path, sweep)
    proc = start(tmp_path, "--cores", "2", env=sweeps_env())
    output, _ = proc.communicate(timeout=400)
    if mode == "warm":
        (tmp_path / "results" / study / "workers" / "STOP").touch()
    assert proc.returncode == 0, output[-3000:]
    found = trials(tmp_path, study)
    assert [t.state for t in found] == [TrialState.COMPLETE] * 2, [t.user_attrs for t in found]
    for trial in found:
        assert trial.values == [pytest.approx(abs(trial.params["x"]) / 3)]
        assert trial.intermediate_values[1] == pytest.approx(abs(trial.params["x"]))
        assert "slurm.job_id" in trial.user_attrs  # it ran as a Slurm job
        assert trial.user_attrs.get("dispatch", "job") == mode
