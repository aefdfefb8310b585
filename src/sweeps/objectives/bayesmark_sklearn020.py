"""The parts of scikit-learn 0.20 that Bayesmark's problems ran on and that later releases changed.

Bayesmark pins ``scikit-learn==0.20.2`` (``requirements/base.in`` of uber/bayesmark); each
function here re-implements the 0.20 behaviour on the current scikit-learn, citing where it
changed:

- :func:`stratified_folds`: ``StratifiedKFold._make_test_folds`` as of 0.20/0.21 (per-class
  ``KFold`` splits of ``np.zeros(max(count, n_splits))``, trimmed); 0.22 replaced it, which
  moves samples between folds on digits and iris.
- :func:`log_loss`: ``sklearn.metrics.log_loss`` of 0.20 (clip at 1e-15, rows renormalised);
  1.3 changed the clip to the dtype's epsilon and 1.5 stopped renormalising.
- :class:`NormalizedLasso`, :class:`NormalizedRidge`: ``normalize=True`` (removed in 1.2):
  centre, divide each column by its l2 norm, fit without intercept, scale the coefficients back.
- :class:`RealAdaBoost`: ``AdaBoostClassifier(algorithm="SAMME.R")``, the 0.20 default (removed
  in 1.6), on depth-1 trees.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.linear_model import Lasso, Ridge
from sklearn.tree import DecisionTreeClassifier

LOG_LOSS_EPS = 1e-15

Folds = list[tuple[np.ndarray, np.ndarray]]


def kfold_test_indices(n_samples: int, n_splits: int) -> list[np.ndarray]:
    """``KFold(n_splits, shuffle=False)``: contiguous folds, the first ``n % k`` one larger."""
    sizes = np.full(n_splits, n_samples // n_splits, dtype=int)
    sizes[: n_samples % n_splits] += 1
    stops = np.cumsum(sizes)
    return [np.arange(stop - size, stop) for size, stop in zip(sizes, stops, strict=True)]


def stratified_test_folds(y: np.ndarray, n_splits: int) -> np.ndarray:
    """The test fold of each sample under scikit-learn 0.20's ``StratifiedKFold`` (no shuffle).

    ``sklearn/model_selection/_split.py`` at 0.21.3, ``StratifiedKFold._make_test_folds``: each
    class is split by ``KFold`` over ``max(count, n_splits)`` positions, positions past the
    class's count are dropped, and the class's i-th sample goes to the fold holding position i.
    """
    classes, inverse = np.unique(y, return_inverse=True)
    test_folds = np.zeros(len(y), dtype=int)
    for index in range(len(classes)):
        members = np.flatnonzero(inverse == index)
        per_class = np.zeros(len(members), dtype=int)
        positions = kfold_test_indices(max(len(members), n_splits), n_splits)
        for fold, test in enumerate(positions):
            per_class[test[test < len(members)]] = fold
        test_folds[members] = per_class
    return test_folds


def stratified_folds(y: np.ndarray, n_splits: int) -> Folds:
    """(train, test) index pairs of scikit-learn 0.20's ``StratifiedKFold(n_splits)``."""
    test_folds = stratified_test_folds(y, n_splits)
    return [
        (np.flatnonzero(test_folds != fold), np.flatnonzero(test_folds == fold))
        for fold in range(n_splits)
    ]


def kfold(n_samples: int, n_splits: int) -> Folds:
    """(train, test) index pairs of ``KFold(n_splits)`` (unchanged since 0.20)."""
    everything = np.arange(n_samples)
    return [
        (np.setdiff1d(everything, test), test) for test in kfold_test_indices(n_samples, n_splits)
    ]


def log_loss(y_true: np.ndarray, y_proba: np.ndarray, labels: np.ndarray) -> float:
    """scikit-learn 0.20's ``log_loss``: clip at 1e-15, renormalise rows, mean of -log p."""
    proba = np.clip(np.asarray(y_proba, dtype=float), LOG_LOSS_EPS, 1 - LOG_LOSS_EPS)
    if proba.ndim == 1:
        proba = np.column_stack((1 - proba, proba))
    proba = proba / proba.sum(axis=1, keepdims=True)
    column = np.searchsorted(labels, y_true)
    return float(-np.mean(np.log(proba[np.arange(len(y_true)), column])))


def neg_log_loss(estimator: Any, x: np.ndarray, y: np.ndarray) -> float:
    """The ``neg_log_loss`` scorer of 0.20 on :func:`log_loss`."""
    return -log_loss(y, estimator.predict_proba(x), estimator.classes_)


class _Normalized(RegressorMixin, BaseEstimator):
    """A linear model fitted as 0.20 fitted it with ``normalize=True``."""

    def _inner(self) -> Any:
        raise NotImplementedError

    def fit(self, x: np.ndarray, y: np.ndarray) -> _Normalized:
        model = self._inner()
        if not self.fit_intercept:  # 0.20 ignored normalize without an intercept
            model.set_params(fit_intercept=False)
            self.model_ = model.fit(x, y)
            self.coef_, self.intercept_ = model.coef_, 0.0
            return self
        x_offset, y_offset = x.mean(axis=0), y.mean()
        centred = x - x_offset
        scale = np.sqrt((centred**2).sum(axis=0))
        scale[scale == 0] = 1.0
        model.set_params(fit_intercept=False)
        self.model_ = model.fit(centred / scale, y - y_offset)
        self.coef_ = model.coef_ / scale
        self.intercept_ = y_offset - x_offset @ self.coef_
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x @ self.coef_ + self.intercept_)


class NormalizedLasso(_Normalized):
    """``Lasso(alpha, fit_intercept, normalize, max_iter, tol, positive)`` of 0.20."""

    def __init__(
        self,
        alpha: float = 1.0,
        fit_intercept: bool = True,
        normalize: bool = False,
        max_iter: int = 1000,
        tol: float = 1e-4,
        positive: bool = False,
    ) -> None:
        self.alpha, self.fit_intercept, self.normalize = alpha, fit_intercept, normalize
        self.max_iter, self.tol, self.positive = max_iter, tol, positive

    def _inner(self) -> Any:
        lasso = Lasso(alpha=self.alpha, max_iter=self.max_iter, tol=self.tol)
        lasso.set_params(positive=self.positive, fit_intercept=self.fit_intercept)
        return lasso

    def fit(self, x: np.ndarray, y: np.ndarray) -> _Normalized:
        if self.normalize:
            return super().fit(x, y)
        self.model_ = self._inner().fit(x, y)
        self.coef_, self.intercept_ = self.model_.coef_, self.model_.intercept_
        return self


class NormalizedRidge(_Normalized):
    """``Ridge(alpha, fit_intercept, normalize, max_iter, tol, solver="auto")`` of 0.20."""

    def __init__(
        self,
        alpha: float = 1.0,
        fit_intercept: bool = True,
        normalize: bool = False,
        max_iter: int | None = None,
        tol: float = 1e-3,
        solver: str = "auto",
    ) -> None:
        self.alpha, self.fit_intercept, self.normalize = alpha, fit_intercept, normalize
        self.max_iter, self.tol, self.solver = max_iter, tol, solver

    def _inner(self) -> Any:
        return Ridge(
            alpha=self.alpha,
            fit_intercept=self.fit_intercept,
            max_iter=self.max_iter,
            tol=self.tol,
            solver=self.solver,
        )

    def fit(self, x: np.ndarray, y: np.ndarray) -> _Normalized:
        if self.normalize:
            return super().fit(x, y)
        self.model_ = self._inner().fit(x, y)
        self.coef_, self.intercept_ = self.model_.coef_, self.model_.intercept_
        return self


class RealAdaBoost(ClassifierMixin, BaseEstimator):
    """0.20's ``AdaBoostClassifier()`` (SAMME.R on ``DecisionTreeClassifier(max_depth=1)``).

    ``sklearn/ensemble/weight_boosting.py`` at 0.20.2: ``fit`` with ``_boost_real`` per
    iteration, ``predict_proba`` and ``predict`` through ``_samme_proba``.
    """

    def __init__(self, n_estimators: int = 50, learning_rate: float = 1.0) -> None:
        self.n_estimators, self.learning_rate = n_estimators, learning_rate

    def fit(self, x: np.ndarray, y: np.ndarray) -> RealAdaBoost:
        self.classes_ = np.unique(y)
        n_classes = len(self.classes_)
        weight = np.full(len(y), 1.0 / len(y))
        self.estimators_: list[Any] = []
        stump = DecisionTreeClassifier(max_depth=1)
        codes = np.array([-1.0 / (n_classes - 1), 1.0])
        coding = codes.take(self.classes_ == y[:, np.newaxis])
        for iboost in range(self.n_estimators):
            tree = clone(stump).fit(x, y, sample_weight=weight)
            self.estimators_.append(tree)
            proba = tree.predict_proba(x)
            error = np.average(self.classes_.take(proba.argmax(axis=1)) != y, weights=weight)
            if error <= 0:
                break
            np.clip(proba, np.finfo(proba.dtype).eps, None, out=proba)
            boost = -self.learning_rate * ((n_classes - 1.0) / n_classes) * _xlogy(coding, proba)
            if iboost == self.n_estimators - 1:
                break
            weight = weight * np.exp(boost * ((weight > 0) | (boost < 0)))
            total = weight.sum()
            if total <= 0:
                break
            weight = weight / total
        return self

    def _decision(self, x: np.ndarray) -> np.ndarray:
        n_classes = len(self.classes_)
        total = sum(_samme_proba(tree, n_classes, x) for tree in self.estimators_)
        return np.asarray(total) / len(self.estimators_)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        n_classes = len(self.classes_)
        proba = np.exp(self._decision(x) / (n_classes - 1))
        normalizer = proba.sum(axis=1, keepdims=True)
        normalizer[normalizer == 0.0] = 1.0
        return np.asarray(proba / normalizer)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.classes_.take(self._decision(x).argmax(axis=1)))


def _samme_proba(tree: Any, n_classes: int, x: np.ndarray) -> np.ndarray:
    proba = np.clip(tree.predict_proba(x), np.finfo(float).eps, None)
    log_proba = np.log(proba)
    return np.asarray(
        (n_classes - 1) * (log_proba - log_proba.sum(axis=1, keepdims=True) / n_classes)
    )


def _xlogy(coding: np.ndarray, proba: np.ndarray) -> np.ndarray:
    from scipy.special import xlogy

    return np.asarray(xlogy(coding, proba).sum(axis=1))
