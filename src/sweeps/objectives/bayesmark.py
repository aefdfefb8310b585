"""Bayesmark's scikit-learn problems (NeurIPS 2020 black-box optimisation challenge).

A reimplementation of bayesmark 0.0.8's ``SklearnModel`` (which no longer imports on NumPy 2)
as it ran for the challenge, on scikit-learn 0.20.2 (bayesmark's pin): the bundled data set,
an 80/20 ``train_test_split(test_size=0.2, random_state=0, shuffle=True)``, and the loss is the
negated mean 5-fold CV score on the 80% part, with 0.20's folds (``StratifiedKFold`` for
classifiers, ``KFold`` for regressors) and 0.20's estimators and log loss where later releases
changed them (:mod:`sweeps.objectives.bayesmark_sklearn020`).

The problems are ``MODEL_DATASET_METRIC`` over :data:`MODELS` x :data:`DATASETS` x the metrics
of the data set's kind: 108 names (:func:`problems`). Bayesmark searches in *warped*
coordinates: ``log`` dimensions log-uniformly, ``logit`` ones uniformly in logit space, ints
uniformly in their warped range then rounded, bools uniformly on [0, 1] then rounded. The sweep
files give each dimension in those coordinates (``logit_*`` parameters, ints and bools as
floats), so a random sampler draws exactly bayesmark's distribution; :func:`model_params` maps
back.
"""

from __future__ import annotations

import hashlib
import math
import os
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from sweeps.job.objective_check import checks_args

CV_SPLITS = 5
CLF, REG = "clf", "reg"


@dataclass(frozen=True)
class Dim:
    """One search dimension as in ``bayesmark.sklearn_funcs``: type, warp and range."""

    kind: str  # "real", "int" or "bool"
    warp: str = "linear"  # "linear", "log" or "logit"
    low: float = 0.0
    high: float = 1.0


Space = dict[str, Dim]
KNN: Space = {"n_neighbors": Dim("int", "linear", 1, 25), "p": Dim("int", "linear", 1, 4)}
SVM: Space = {
    "C": Dim("real", "log", 1.0, 1e3),
    "gamma": Dim("real", "log", 1e-4, 1e-3),
    "tol": Dim("real", "log", 1e-5, 1e-1),
}
TREE: Space = {
    "max_depth": Dim("int", "linear", 1, 15),
    "min_samples_split": Dim("real", "logit", 0.01, 0.99),
    "min_samples_leaf": Dim("real", "logit", 0.01, 0.49),
    "min_weight_fraction_leaf": Dim("real", "logit", 0.01, 0.49),
    "max_features": Dim("real", "logit", 0.01, 0.99),
    "min_impurity_decrease": Dim("real", "linear", 0.0, 0.5),
}
_MLP: Space = {
    "hidden_layer_sizes": Dim("int", "linear", 50, 200),
    "alpha": Dim("real", "log", 1e-5, 1e1),
    "batch_size": Dim("int", "linear", 10, 250),
    "learning_rate_init": Dim("real", "log", 1e-5, 1e-1),
    "tol": Dim("real", "log", 1e-5, 1e-1),
    "validation_fraction": Dim("real", "logit", 0.1, 0.9),
}
MLP_ADAM: Space = {
    **_MLP,
    "beta_1": Dim("real", "logit", 0.5, 0.99),
    "beta_2": Dim("real", "logit", 0.9, 1.0 - 1e-6),
    "epsilon": Dim("real", "log", 1e-9, 1e-6),
}
MLP_SGD: Space = {
    **_MLP,
    "power_t": Dim("real", "logit", 0.1, 0.9),
    "momentum": Dim("real", "logit", 0.001, 0.999),
}
ADA: Space = {
    "n_estimators": Dim("int", "linear", 10, 100),
    "learning_rate": Dim("real", "log", 1e-4, 1e1),
}
LOGISTIC: Space = {
    "C": Dim("real", "log", 1e-2, 1e2),
    "intercept_scaling": Dim("real", "log", 1e-2, 1e2),
}
_REG_LINEAR: Space = {
    "alpha": Dim("real", "log", 1e-2, 1e2),
    "fit_intercept": Dim("bool"),
    "normalize": Dim("bool"),
    "max_iter": Dim("int", "log", 10, 5000),
}
LASSO_REG: Space = {
    **_REG_LINEAR,
    "tol": Dim("real", "log", 1e-5, 1e-1),
    "positive": Dim("bool"),
}
RIDGE_REG: Space = {**_REG_LINEAR, "tol": Dim("real", "log", 1e-4, 1e-1)}

_COMPAT = "sweeps.objectives.bayesmark_sklearn020"
_SGD = {"solver": "sgd", "early_stopping": True, "learning_rate": "invscaling"}
# model: {kind: (estimator, fixed arguments, space)}, bayesmark's MODELS_CLF and MODELS_REG.
# Where scikit-learn no longer takes an argument the estimator is 0.20's (bayesmark_sklearn020)
# or the argument's meaning is kept another way, noted beside it.
MODELS: dict[str, dict[str, tuple[str, dict[str, Any], Space]]] = {
    "kNN": {
        CLF: ("sklearn.neighbors:KNeighborsClassifier", {}, KNN),
        REG: ("sklearn.neighbors:KNeighborsRegressor", {}, KNN),
    },
    "SVM": {
        CLF: ("sklearn.svm:SVC", {"kernel": "rbf", "probability": True}, SVM),
        REG: ("sklearn.svm:SVR", {"kernel": "rbf"}, SVM),
    },
    "DT": {
        CLF: ("sklearn.tree:DecisionTreeClassifier", {"max_leaf_nodes": None}, TREE),
        REG: ("sklearn.tree:DecisionTreeRegressor", {"max_leaf_nodes": None}, TREE),
    },
    "RF": {
        CLF: (
            "sklearn.ensemble:RandomForestClassifier",
            {"n_estimators": 10, "max_leaf_nodes": None},
            TREE,
        ),
        REG: (
            "sklearn.ensemble:RandomForestRegressor",
            {"n_estimators": 10, "max_leaf_nodes": None},
            TREE,
        ),
    },
    "MLP-adam": {
        CLF: (
            "sklearn.neural_network:MLPClassifier",
            {"solver": "adam", "early_stopping": True},
            MLP_ADAM,
        ),
        REG: (
            "sklearn.neural_network:MLPRegressor",
            {"solver": "adam", "early_stopping": True},
            MLP_ADAM,
        ),
    },
    "MLP-sgd": {
        CLF: (
            "sklearn.neural_network:MLPClassifier",
            {**_SGD, "nesterovs_momentum": True},
            MLP_SGD,
        ),
        REG: (
            "sklearn.neural_network:MLPRegressor",
            {"activation": "tanh", **_SGD, "nesterovs_momentum": True},
            MLP_SGD,
        ),
    },
    "ada": {
        CLF: (f"{_COMPAT}:RealAdaBoost", {}, ADA),  # 0.20's default algorithm, SAMME.R
        REG: ("sklearn.ensemble:AdaBoostRegressor", {}, ADA),
    },
    # penalty="l1"/"l2" as l1_ratio 1/0 (penalty is deprecated); multi_class="ovr" by
    # OneVsRestClassifier (liblinear refuses multiclass), which fits the same per-class models.
    "lasso": {
        CLF: (
            "sklearn.linear_model:LogisticRegression",
            {"l1_ratio": 1.0, "solver": "liblinear"},
            LOGISTIC,
        ),
        REG: (f"{_COMPAT}:NormalizedLasso", {}, LASSO_REG),
    },
    "linear": {
        CLF: (
            "sklearn.linear_model:LogisticRegression",
            {"l1_ratio": 0.0, "solver": "liblinear"},
            LOGISTIC,
        ),
        REG: (f"{_COMPAT}:NormalizedRidge", {"solver": "auto"}, RIDGE_REG),
    },
}
ONE_VS_REST = frozenset({"lasso", "linear"})


@dataclass(frozen=True)
class OldCopy:
    """A data file as an older scikit-learn wheel shipped it, found through an environment
    variable and checked by its SHA-256 (this project does not ship it)."""

    env: str
    sha256: str
    member: str  # its path inside the wheel
    wheel: str


@dataclass(frozen=True)
class DataSet:
    """A data set: its kind, its current scikit-learn loader (None: gone), the challenge's copy
    and how the current one differs from it."""

    kind: str
    loader: str | None
    old_copy: OldCopy | None = None
    difference: str = ""


BOSTON = OldCopy(
    "SWEEPS_BAYESMARK_BOSTON",
    "d98212636026544fc9b9c0f372e5f819872e6fa6fa757ab025efdda22180f2d6",
    "sklearn/datasets/data/boston_house_prices.csv",
    "scikit-learn <= 1.1",
)
DIABETES = OldCopy(
    "SWEEPS_BAYESMARK_DIABETES",
    "5a21b8e4ecef9a4fd738f72b09f9ddfb786cbbf4e401f78b43050b6b92eedea8",
    "sklearn/datasets/data/diabetes_data.csv.gz",
    "scikit-learn <= 1.0",
)
DATASETS: dict[str, DataSet] = {
    "breast": DataSet(CLF, "load_breast_cancer"),
    "digits": DataSet(CLF, "load_digits"),
    "iris": DataSet(CLF, "load_iris"),
    "wine": DataSet(CLF, "load_wine"),
    "boston": DataSet(
        REG,
        None,
        BOSTON,
        "removed from scikit-learn 1.2 and shipped by no package this project can depend on; "
        "the data carries no licence of its own that allows shipping it here",
    ),
    "diabetes": DataSet(
        REG,
        "load_diabetes",
        DIABETES,
        "scikit-learn 1.1 rebuilt the scaled features from rounded raw data: columns bp and s5 "
        "differ from the challenge's by up to 1.2e-5 and 4.8e-6 absolute",
    ),
}
# metric: scorer, by kind; "nll" is 0.20's log loss (bayesmark_sklearn020.neg_log_loss).
METRICS: dict[str, dict[str, str]] = {
    CLF: {"acc": "accuracy", "nll": f"{_COMPAT}:neg_log_loss"},
    REG: {"mae": "neg_mean_absolute_error", "mse": "neg_mean_squared_error"},
}


def problems() -> list[str]:
    """Every problem name, sorted as the published baselines list them."""
    names = [
        f"{model}_{dataset}_{metric}"
        for model in MODELS
        for dataset, data in DATASETS.items()
        for metric in METRICS[data.kind]
    ]
    return sorted(names)


def parse_problem(name: str) -> tuple[str, str, str]:
    """``(model, dataset, metric)`` of a problem name; ``ValueError`` naming the bad part."""
    parts = name.split("_")
    if len(parts) != 3:
        raise ValueError(f"problem {name!r} is not MODEL_DATASET_METRIC")
    model, dataset, metric = parts
    if model not in MODELS:
        raise ValueError(f"problem {name!r}: unknown model {model!r}; known: {', '.join(MODELS)}")
    if dataset not in DATASETS:
        raise ValueError(
            f"problem {name!r}: unknown data set {dataset!r}; known: {', '.join(DATASETS)}"
        )
    kind = DATASETS[dataset].kind
    if metric not in METRICS[kind]:
        raise ValueError(
            f"problem {name!r}: metric {metric!r} is not one of {dataset}'s "
            f"({', '.join(METRICS[kind])})"
        )
    return model, dataset, metric


def check_problem(args: dict[str, Any]) -> str | None:
    """Refuse, before anything runs, a problem that is unknown or whose data cannot be had;
    return a note when the data set here is an approximation of the challenge's."""
    name = args.get("problem")
    if not isinstance(name, str):
        raise ValueError(f"problem = {name!r}: must be a MODEL_DATASET_METRIC string")
    _, dataset, _ = parse_problem(name)
    why = unavailable(dataset)
    if why:
        raise ValueError(f"problem {name!r}: {why}")
    if approximate(dataset):
        return f"problem {name!r} is approximate: {approximate(dataset)}"
    return None


def old_copy_path(dataset: str) -> Path | None:
    """The challenge's copy of the data set where its variable names a file with its digest."""
    copy = DATASETS[dataset].old_copy
    if copy is None or not os.environ.get(copy.env):
        return None
    path = Path(os.environ[copy.env])
    if not path.is_file() or _sha256(path) != copy.sha256:
        return None
    return path


def _how_to_get(copy: OldCopy) -> str:
    return f"set {copy.env} to {copy.member} from a {copy.wheel} wheel (sha256 {copy.sha256})"


def unavailable(dataset: str) -> str:
    """Why the data set cannot be loaded here, or ``""``."""
    data = DATASETS[dataset]
    if data.loader is not None or old_copy_path(dataset) is not None:
        return ""
    assert data.old_copy is not None
    return f"{dataset} was {data.difference}; {_how_to_get(data.old_copy)}"


def approximate(dataset: str) -> str:
    """How the data set loaded here differs from the challenge's, or ``""`` (exact)."""
    data = DATASETS[dataset]
    if data.loader is None or data.old_copy is None or old_copy_path(dataset) is not None:
        return ""
    return f"{data.difference}; for the exact data {_how_to_get(data.old_copy)}"


def space_of(model: str, dataset: str) -> Space:
    return MODELS[model][DATASETS[dataset].kind][2]


def sweep_space(space: Space) -> dict[str, dict[str, Any]]:
    """The sweep-file space, in bayesmark's warped coordinates (logit_* in logit units)."""
    out: dict[str, dict[str, Any]] = {}
    for name, dim in space.items():
        if dim.warp == "logit":
            out[f"logit_{name}"] = {
                "type": "float",
                "low": _logit(dim.low),
                "high": _logit(dim.high),
            }
        else:
            out[name] = {
                "type": "float",
                "low": float(dim.low),
                "high": float(dim.high),
                **({"log": True} if dim.warp == "log" else {}),
            }
    return out


def model_params(space: Space, params: dict[str, Any]) -> dict[str, Any]:
    """The estimator's keyword arguments for a point of :func:`sweep_space` (unwarped, clipped
    to the range and rounded as bayesmark's ``Space.unwarp``)."""
    out: dict[str, Any] = {}
    for name, dim in space.items():
        value = _logistic(params[f"logit_{name}"]) if dim.warp == "logit" else params[name]
        value = min(max(value, dim.low), dim.high)
        if dim.kind == "bool":
            out[name] = bool(np.round(value))
        elif dim.kind == "int":
            out[name] = int(np.round(value))
        else:
            out[name] = float(value)
    return out


def estimator(model: str, dataset: str, params: dict[str, Any]) -> Any:
    """Bayesmark's estimator for a point of the sweep space."""
    path, fixed, space = MODELS[model][DATASETS[dataset].kind]
    built = _load(path)(**model_params(space, params), **fixed)
    if model in ONE_VS_REST and DATASETS[dataset].kind == CLF:
        from sklearn.multiclass import OneVsRestClassifier

        return OneVsRestClassifier(built)
    return built


def evaluate(params: dict[str, Any], model: str, dataset: str, metric: str) -> float:
    """Bayesmark's ``_visible_to_opt`` loss: the negated mean 5-fold CV score on the 80% split."""
    from sklearn.metrics import get_scorer
    from sklearn.model_selection import cross_val_score

    from sweeps.objectives.bayesmark_sklearn020 import kfold, stratified_folds

    x, y = split(dataset)
    scorer_name = METRICS[DATASETS[dataset].kind][metric]
    scorer = _load(scorer_name) if ":" in scorer_name else get_scorer(scorer_name)
    folds = (
        stratified_folds(y, CV_SPLITS)
        if DATASETS[dataset].kind == CLF
        else kfold(len(y), CV_SPLITS)
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)  # deprecated, same model
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        scores = cross_val_score(
            estimator(model, dataset, params), x, y, scoring=scorer, cv=folds, error_score="raise"
        )
    return float(-np.mean(scores))


@checks_args(check_problem)
def problem(params: dict[str, Any], problem: str) -> float:
    """Objective of the published sweeps: ``problem`` is ``MODEL_DATASET_METRIC``."""
    return evaluate(params, *parse_problem(problem))


@cache
def split(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """The 80% part of ``train_test_split(test_size=0.2, random_state=0, shuffle=True)``."""
    from sklearn.model_selection import train_test_split

    why = unavailable(dataset)
    if why:
        raise ValueError(why)
    x, y = _load_data(dataset)
    x_train, _, y_train, _ = train_test_split(x, y, test_size=0.2, random_state=0, shuffle=True)
    return x_train, y_train


def _load_data(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets

    path = old_copy_path(dataset)
    if dataset == "boston" and path is not None:  # load_boston: two header rows, MEDV last
        table = np.loadtxt(path, delimiter=",", skiprows=2)
        return table[:, :-1], table[:, -1]
    x, y = getattr(datasets, str(DATASETS[dataset].loader))(return_X_y=True)
    if path is not None:  # the old scaled features; the targets did not change
        x = np.loadtxt(path)
    return np.asarray(x, dtype=float), np.asarray(y)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load(path: str) -> Any:
    import importlib

    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))
