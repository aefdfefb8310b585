"""An objective written for Optuna (conditional, no ``space:``) on the Slurm test cluster, in
job and warm mode: each trial job draws its own branch's parameters against the shared study."""

from __future__ import annotations

from pathlib import Path

import pytest
from optuna.trial import TrialState
from support.slurm import start, trials
from support.specs import base_spec
from support.workflow import workflow_project

pytestmark = [pytest.mark.slurm, pytest.mark.e2e, pytest.mark.usefixtures("slurm_cluster")]

SLURM = {"partition": "small-g", "gpus_per_node": 1, "status_interval_s": 1.0}
WARM = {"workers": 2, "time_min": 5, "heartbeat_s": 1}


@pytest.mark.parametrize("mode", ["job", "warm"])
def test_an_optuna_objective_draws_its_branch_in_each_slurm_trial(
    tmp_path: Path, mode: str
) -> None:
    study = f"optuna-{mode}"
    sweep = base_spec(
        study=study,
        objective={"optuna": "support.optuna_objectives:conditional"},
        budget={"n_trials": 6},
        parallelism=2,
        resources={"gpus": 1, "time_min": 2, "mem_gb": 0.5},
        dispatch={"executor": "slurm", "mode": mode, "warm": WARM, "slurm": SLURM},
    )
    sweep.pop("space")
    cwd = workflow_project(tmp_path, sweep)
    proc = start(cwd, "--cores", "2")
    output, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, output[-3000:]
    ended = trials(cwd, study)
    assert len(ended) == 6 and all(t.state == TrialState.COMPLETE for t in ended)
    drawn = [set(t.params) for t in ended]
    branches = ({"classifier", "svc_c"}, {"classifier", "rf_max_depth"})
    assert all(params in branches for params in drawn), drawn
    assert len({t.params["classifier"] for t in ended}) == 2, drawn
    assert all(t.user_attrs["slurm.job_id"] for t in ended)
    if mode == "warm":
        assert all(t.system_attrs.get("sweeps:worker") for t in ended)
