"""scikit-learn 0.20's folds, log loss and ``normalize=True`` fits, re-implemented."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from sweeps.objectives.bayesmark import split
from sweeps.objectives.bayesmark_sklearn020 import (
    NormalizedLasso,
    NormalizedRidge,
    kfold,
    log_loss,
    stratified_folds,
    stratified_test_folds,
)


def test_digits_folds_are_those_of_scikit_learn_020() -> None:
    _, y = split("digits")
    assert np.bincount(stratified_test_folds(y, 5)).tolist() == [292, 289, 286, 286, 284]
    # What scikit-learn >= 0.22 does instead, the difference the re-implementation undoes.
    current = [len(test) for _, test in StratifiedKFold(5).split(y, y)]
    assert current == [288, 288, 287, 287, 287]


def test_iris_folds_differ_from_current_and_wine_ones_do_not() -> None:
    _, iris = split("iris")
    assert np.bincount(stratified_test_folds(iris, 5)).tolist() == [25, 25, 24, 24, 22]
    _, wine = split("wine")
    ours = [test.tolist() for _, test in stratified_folds(wine, 5)]
    assert ours == [test.tolist() for _, test in StratifiedKFold(5).split(wine, wine)]


def test_folds_partition_the_samples() -> None:
    _, y = split("digits")
    tests = np.concatenate([test for _, test in stratified_folds(y, 5)])
    assert sorted(tests.tolist()) == list(range(len(y)))
    for train, test in kfold(11, 5):
        assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == 11
    assert [len(test) for _, test in kfold(11, 5)] == [3, 2, 2, 2, 2]


def test_log_loss_clips_at_1e_15_and_renormalises() -> None:
    labels = np.array([0, 1, 2])
    proba = np.array([[0.0, 0.5, 0.5], [0.2, 0.2, 0.2]])
    # Row 1: p(0) clipped to 1e-15 and renormalised; row 2 renormalised to 1/3 each.
    expected = (-np.log(1e-15 / (1 + 1e-15)) - np.log(1 / 3)) / 2
    assert log_loss(np.array([0, 2]), proba, labels) == pytest.approx(expected, rel=1e-12)


def test_normalized_ridge_is_ridge_on_standardised_data_with_alpha_times_n() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)) * [1.0, 10.0, 0.1] + [5.0, -2.0, 0.0]
    y = x @ [1.0, 0.2, 3.0] + rng.normal(size=40)
    ours = NormalizedRidge(alpha=0.7, normalize=True).fit(x, y).predict(x)
    scaled = StandardScaler().fit(x)
    reference = Ridge(alpha=0.7 * 40).fit(scaled.transform(x), y).predict(scaled.transform(x))
    assert ours == pytest.approx(reference, rel=1e-9)
    plain = NormalizedRidge(alpha=0.7, normalize=False).fit(x, y).predict(x)
    assert plain == pytest.approx(Ridge(alpha=0.7).fit(x, y).predict(x), rel=1e-12)


def test_normalized_lasso_without_intercept_ignores_normalize() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(30, 4)), rng.normal(size=30)
    a = NormalizedLasso(alpha=0.05, fit_intercept=False, normalize=True).fit(x, y)
    b = NormalizedLasso(alpha=0.05, fit_intercept=False, normalize=False).fit(x, y)
    assert a.coef_ == pytest.approx(b.coef_) and a.intercept_ == 0.0
