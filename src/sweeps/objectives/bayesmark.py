"""Bayesmark's scikit-learn problems (NeurIPS 2020 black-box optimisation challenge).

A reimplementation of bayesmark 0.0.8's ``SklearnModel`` (which no longer imports on NumPy 2):
scikit-learn's bundled data set, an 80/20 split with ``train_test_split(test_size=0.2,
random_state=0, shuffle=True)``, and the loss is the negated mean 5-fold CV score on the 80%
part (accuracy is stored negated, log loss as is). Fixed model arguments and search spaces are
bayesmark's; see ``PROBLEMS`` and the sweep files in ``config/sweeps/published/``.

Bayesmark searches in *warped* coordinates: ``log`` dimensions log-uniformly, ``logit`` ones
uniformly in logit space, ints uniformly on ``[low, high]`` then rounded. The sweep files give
each dimension in those coordinates (``logit_*`` parameters, ints as floats), so a random
sampler draws exactly bayesmark's distribution; :func:`model_params` maps back.
"""

from __future__ import annotations

import math
import warnings
from functools import cache
from typing import Any

import numpy as np

CV_SPLITS = 5

# name: (type, warp, low, high) as in bayesmark.sklearn_funcs
Space = dict[str, tuple[str, str, float, float]]
KNN: Space = {"n_neighbors": ("int", "linear", 1, 25), "p": ("int", "linear", 1, 4)}
SVM: Space = {
    "C": ("real", "log", 1.0, 1e3),
    "gamma": ("real", "log", 1e-4, 1e-3),
    "tol": ("real", "log", 1e-5, 1e-1),
}
_TREE: Space = {
    "max_depth": ("int", "linear", 1, 15),
    "min_samples_split": ("real", "logit", 0.01, 0.99),
    "min_samples_leaf": ("real", "logit", 0.01, 0.49),
    "min_weight_fraction_leaf": ("real", "logit", 0.01, 0.49),
    "max_features": ("real", "logit", 0.01, 0.99),
    "min_impurity_decrease": ("real", "linear", 0.0, 0.5),
}
LINEAR: Space = {
    "C": ("real", "log", 1e-2, 1e2),
    "intercept_scaling": ("real", "log", 1e-2, 1e2),
}
MODELS: dict[str, tuple[str, dict[str, Any], Space]] = {
    "kNN": ("sklearn.neighbors:KNeighborsClassifier", {}, KNN),
    "SVM": ("sklearn.svm:SVC", {"kernel": "rbf", "probability": True}, SVM),
    "DT": ("sklearn.tree:DecisionTreeClassifier", {"max_leaf_nodes": None}, _TREE),
    "RF": (
        "sklearn.ensemble:RandomForestClassifier",
        {"n_estimators": 10, "max_leaf_nodes": None},
        _TREE,
    ),
    # bayesmark also passed multi_class="ovr" (removed from scikit-learn; on a binary problem such
    # as breast one-vs-rest is the same model) and penalty="l2" (deprecated; the default).
    "linear": (
        "sklearn.linear_model:LogisticRegression",
        {"fit_intercept": True, "solver": "liblinear"},
        LINEAR,
    ),
}
DATASETS = {
    "wine": "load_wine",
    "breast": "load_breast_cancer",
    "iris": "load_iris",
    "digits": "load_digits",
}
SCORERS = {"acc": "accuracy", "nll": "neg_log_loss"}


def sweep_space(model: str) -> dict[str, dict[str, Any]]:
    """The sweep-file space of a model, in bayesmark's warped coordinates."""
    space: dict[str, dict[str, Any]] = {}
    for name, (_, warp, low, high) in MODELS[model][2].items():
        if warp == "logit":
            space[f"logit_{name}"] = {"type": "float", "low": _logit(low), "high": _logit(high)}
        else:
            space[name] = {
                "type": "float",
                "low": float(low),
                "high": float(high),
                **({"log": True} if warp == "log" else {}),
            }
    return space


def model_params(model: str, params: dict[str, Any]) -> dict[str, Any]:
    """The estimator's keyword arguments for a point of :func:`sweep_space` (unwarped)."""
    out: dict[str, Any] = {}
    for name, (kind, warp, low, high) in MODELS[model][2].items():
        value = _logistic(params[f"logit_{name}"]) if warp == "logit" else params[name]
        value = min(max(value, low), high)
        out[name] = int(np.round(value)) if kind == "int" else float(value)
    return out


def evaluate(params: dict[str, Any], model: str, dataset: str, metric: str) -> float:
    """Bayesmark's ``_visible_to_opt`` loss: the negated mean 5-fold CV score on the 80% split."""
    from sklearn.metrics import get_scorer
    from sklearn.model_selection import cross_val_score

    path, fixed, _ = MODELS[model]
    estimator = _load(path)(**model_params(model, params), **fixed)
    x, y = split(dataset)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)  # deprecated, same model
        scores = cross_val_score(estimator, x, y, scoring=get_scorer(SCORERS[metric]), cv=CV_SPLITS)
    return float(-np.mean(scores))


def problem(params: dict[str, Any], problem: str) -> float:
    """Objective of the published sweeps: ``problem`` is ``MODEL_DATASET_METRIC``."""
    model, dataset, metric = problem.split("_")
    return evaluate(params, model, dataset, metric)


@cache
def split(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """The 80% part of ``train_test_split(test_size=0.2, random_state=0, shuffle=True)``."""
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    x, y = getattr(datasets, DATASETS[dataset])(return_X_y=True)
    x_train, _, y_train, _ = train_test_split(x, y, test_size=0.2, random_state=0, shuffle=True)
    return x_train, y_train


def _load(path: str) -> Any:
    import importlib

    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))
