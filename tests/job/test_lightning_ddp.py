"""Pruning a 2-rank Lightning DDP trial (CPU, gloo; one process per rank, through submitit's
LocalExecutor): sweeps' callback stops every rank at once; optuna-integration's, which asks on
rank 0 alone, is refused by name instead of leaving rank 1 waiting."""

from __future__ import annotations

from pathlib import Path

import pytest
from optuna.trial import TrialState

from sweeps.controller.slot import run_slot
from sweeps.study import load_study, prepare_study

pytest.importorskip("torch")
pytest.importorskip("lightning")
pytest.importorskip("optuna_integration")

pytestmark = pytest.mark.torch


def ddp_trial(make_spec, callback: str):  # type: ignore[no-untyped-def]
    _, spec = make_spec(
        objective={
            "function": "support.lightning_objectives:ddp_regression",
            "args": {"epochs": 4, "callback": callback},
        },
        space={"lr": {"type": "float", "low": 0.005, "high": 0.01}},
        # val_loss is well above 1e-6 from the start: pruned once the warm-up step is over
        pruner={"name": "ThresholdPruner", "args": {"upper": 1e-6, "n_warmup_steps": 1}},
        resources={"tasks_per_node": 2, "time_min": 3},
        budget={"n_trials": 1, "max_retries": 0},
    )
    prepare_study(spec)
    run_slot(spec, 0, Path("results/t/trials/0.json"))
    [trial] = load_study(spec).trials
    return trial


def test_sweeps_callback_prunes_every_rank_of_a_ddp_trial(make_spec) -> None:  # type: ignore[no-untyped-def]
    trial = ddp_trial(make_spec, "sweeps")
    assert trial.state == TrialState.PRUNED, trial.user_attrs.get("fail_reason")
    assert trial.user_attrs["reason"] == "Trial was pruned at epoch 1."
    assert sorted(trial.intermediate_values) == [0, 1]  # rank 0's reports, once each
    assert trial.user_attrs["world_size"] == 2
    assert [r["rank"] for r in trial.user_attrs["ranks"]] == [0, 1]  # both ranks ended


def test_optuna_integration_callback_is_refused_in_a_ddp_trial(make_spec) -> None:  # type: ignore[no-untyped-def]
    trial = ddp_trial(make_spec, "optuna_integration")
    assert trial.state == TrialState.FAIL
    reason = trial.user_attrs["fail_reason"]
    assert "optuna_integration" in reason and "rank 0 alone" in reason, reason
    assert "sweeps.job.lightning.PruningCallback" in reason
    assert not trial.intermediate_values  # refused at fit start, before any epoch
