"""A PyTorch Lightning objective with optuna-integration's pruning callback, run as a sweep."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest
from optuna.trial import TrialState

from sweeps.controller.slot import run_slot
from sweeps.study import load_study, prepare_study

pytest.importorskip("torch")
pytest.importorskip("lightning")
pytest.importorskip("optuna_integration")

EPOCHS = 4
N_TRIALS = 5


@pytest.mark.torch
def test_lightning_callback_reports_and_is_pruned_by_the_sweeps_pruner(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(
        objective={
            "function": "support.lightning_objectives:linear_regression",
            "args": {"epochs": EPOCHS},
        },
        space={"lr": {"type": "float", "low": 0.005, "high": 0.2, "log": True}},
        pruner={"name": "MedianPruner", "args": {"n_startup_trials": 1, "n_warmup_steps": 0}},
        budget={"n_trials": N_TRIALS},
        resources={"time_min": 5},
    )
    prepare_study(spec)
    for slot in range(N_TRIALS):  # one after another: each is judged against those before it
        run_slot(spec, slot, Path(f"results/t/trials/{slot}.json"))
    trials = sorted(load_study(spec).trials, key=lambda t: t.number)
    states = [t.state for t in trials]
    assert set(states) == {TrialState.COMPLETE, TrialState.PRUNED}, states
    assert states[0] == TrialState.COMPLETE  # the pruner's one startup trial
    for k, trial in enumerate(trials):
        steps = sorted(trial.intermediate_values)
        if trial.state == TrialState.COMPLETE:
            assert steps == list(range(EPOCHS))  # every epoch's val_loss, reported by the callback
            assert trial.value == pytest.approx(trial.intermediate_values[EPOCHS - 1])
            continue
        # Pruned where MedianPruner says: worse than the median of the finished trials at that step.
        last = steps[-1]
        assert steps == list(range(last + 1)) and last < EPOCHS - 1
        assert trial.user_attrs["reason"] == f"Trial was pruned at epoch {last}."
        before = [t.intermediate_values[last] for t in trials[:k] if t.state == TrialState.COMPLETE]
        assert min(trial.intermediate_values.values()) > statistics.median(before)
