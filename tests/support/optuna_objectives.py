"""Objectives written for Optuna, unchanged: ``f(trial)`` with define-by-run, conditional
parameters (as in Optuna's documentation), pruning and user attributes."""

from __future__ import annotations

import optuna


def conditional(trial: optuna.Trial) -> float:
    """Optuna's documented pattern: the classifier's parameters depend on its kind."""
    classifier = trial.suggest_categorical("classifier", ["SVC", "RandomForest"])
    if classifier == "SVC":
        c = trial.suggest_float("svc_c", 1e-10, 1e10, log=True)
        value = abs(c - 1.0) / 1e10
    else:
        depth = trial.suggest_int("rf_max_depth", 2, 32, log=True)
        value = 1.0 / depth
    trial.set_user_attr("classifier_used", classifier)
    return value


def reported(trial: optuna.Trial, steps: int = 4) -> float:
    """Reports each step and prunes as Optuna's pruning example does; records its study name."""
    x = trial.suggest_float("x", -3.0, 3.0)
    trial.set_user_attr("study_seen", trial.study.study_name)
    for step in range(steps):
        value = (x - 1.0) ** 2 + 1.0 / (step + 1)
        trial.report(value, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return (x - 1.0) ** 2


def two_parameters(trial: optuna.Trial) -> float:
    """Suggests ``x`` (the sweep file may pin its range) and ``y`` (never in the file)."""
    x = trial.suggest_float("x", -100.0, 100.0)
    y = trial.suggest_int("y", 0, 10)
    return x**2 + y
