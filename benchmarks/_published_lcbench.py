"""Sampler and pruner checks on the LCBench surrogate, against the published random search
(benchmarks/lcbench_compare.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
from _published_stats import expected_best

from sweeps.objectives.lcbench import curve
from sweeps.shipped import published_sweeps
from sweeps.spec import SweepSpec, load_spec
from sweeps.spec.samplers import build_pruner
from sweeps.spec.space import distributions

SWEEP = published_sweeps()["lcbench-167168"]
# Random search over 20,000 configurations at epoch 52 (val_accuracy), as published; the
# sweep file's published block carries 167168's (a test checks they agree).
REFERENCE = {
    "167168": {"max": 88.14, 10: 72.84, 50: 79.14, 100: 80.89},
    "189873": {"max": 92.12, 10: 62.53, 50: 78.16, 100: 81.82},
    "189906": {"max": 91.85, 10: 82.79, 50: 87.18, 100: 88.24},
}


def random_final_accuracies(
    spec: SweepSpec, instance: str, n: int, seed: int, model_dir: str | None = None
) -> np.ndarray:
    """Final-epoch validation accuracy of ``n`` random configurations of the sweep's space."""
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    dists = distributions(spec)
    finals = []
    for _ in range(n):
        trial = study.ask(dists)
        finals.append(curve(trial.params, instance, model_dir=model_dir)["val_accuracy"][-1])
        study.tell(trial, 0.0)
    return np.asarray(finals, dtype=float)


def expected_best_accuracy(finals: np.ndarray, n: int) -> float:
    return -expected_best(-finals, n)


@dataclass(frozen=True)
class RunSummary:
    best: float
    epochs: int
    pruned: int


def run(
    spec: SweepSpec,
    instance: str,
    sampler: str,
    n_trials: int,
    seed: int,
    prune: bool,
    model_dir: str | None = None,
) -> RunSummary:
    """A sequential in-process sweep; epochs counts every epoch the trials ran."""
    chosen: optuna.samplers.BaseSampler = (
        optuna.samplers.TPESampler(seed=seed, **spec.sampler.args)
        if sampler == "TPESampler"
        else optuna.samplers.RandomSampler(seed=seed)
    )
    pruner = build_pruner(spec) if prune else optuna.pruners.NopPruner()
    study = optuna.create_study(direction="maximize", sampler=chosen, pruner=pruner)
    dists = distributions(spec)
    epochs = 0
    for _ in range(n_trials):
        trial = study.ask(dists)
        accuracy = curve(trial.params, instance, model_dir=model_dir)["val_accuracy"]
        state: Any = optuna.trial.TrialState.COMPLETE
        for epoch, value in enumerate(accuracy, start=1):
            trial.report(float(value), epoch)
            epochs += 1
            if trial.should_prune():
                state = optuna.trial.TrialState.PRUNED
                break
        if state == optuna.trial.TrialState.PRUNED:
            study.tell(trial, state=state)
        else:
            study.tell(trial, float(accuracy[-1]))
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    return RunSummary(study.best_value, epochs, pruned)


def load_sweep() -> SweepSpec:
    return load_spec(SWEEP)
