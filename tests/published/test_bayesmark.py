"""The Bayesmark problems: spaces as bayesmark's, and a small published comparison (the
benchmark's code, benchmarks/_published_bayesmark.py)."""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest
from support.published import PUBLISHED
from support.specs import REPO

from sweeps.objectives.bayesmark import SVM as SVM_SPACE
from sweeps.objectives.bayesmark import TREE, model_params, problem, sweep_space
from sweeps.spec import load_spec

sys.path.insert(0, str(REPO / "benchmarks"))
from _published_bayesmark import (
    BASELINE,
    PROBLEMS,
    compare_problem,
    read_published,
    sample_losses,
    sweep_file,
)
from _published_stats import expected_best


def test_expected_best_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    losses = rng.normal(size=7)
    draws = rng.choice(losses, size=(200_000, 4))
    assert expected_best(losses, 4) == pytest.approx(draws.min(axis=1).mean(), abs=5e-3)
    assert expected_best(losses, 1) == pytest.approx(losses.mean())
    assert expected_best(losses, 1, clip=0.0) == pytest.approx(np.minimum(losses, 0).mean())


def test_spaces_are_bayesmarks_in_warped_coordinates() -> None:
    space = sweep_space(TREE)
    assert space["max_depth"] == {"type": "float", "low": 1.0, "high": 15.0}
    assert space["logit_max_features"]["low"] == pytest.approx(math.log(0.01 / 0.99))
    assert space["logit_min_samples_leaf"]["high"] == pytest.approx(math.log(0.49 / 0.51))
    assert sweep_space(SVM_SPACE)["gamma"] == {
        "type": "float",
        "low": 1e-4,
        "high": 1e-3,
        "log": True,
    }
    params = model_params(
        TREE,
        {
            "max_depth": 14.6,
            "logit_min_samples_split": 0.0,
            "logit_min_samples_leaf": -4.59511985013459,
            "logit_min_weight_fraction_leaf": -1.0,
            "logit_max_features": 4.595119850134589,
            "min_impurity_decrease": 0.1,
        },
    )
    assert params["max_depth"] == 15 and params["min_samples_split"] == pytest.approx(0.5)
    assert params["min_samples_leaf"] == pytest.approx(0.01)
    assert params["max_features"] == pytest.approx(0.99)


def test_every_problem_has_a_valid_sweep_file() -> None:
    assert len(PROBLEMS) == 108
    for name in PROBLEMS:
        spec = load_spec(sweep_file(name))
        assert spec.objective.args == {"problem": name} and spec.budget.n_trials == 15


@pytest.mark.skipif(PUBLISHED is None, reason="published baselines not present")
def test_the_problems_are_those_of_the_published_baseline() -> None:
    assert PUBLISHED is not None
    data = json.loads((PUBLISHED / "bbo-challenge-baselines" / BASELINE).read_text())["data"]
    assert list(PROBLEMS) == data["coords"]["function"]["data"]


def test_knn_wine_loss_is_negated_cv_accuracy() -> None:
    loss = problem({"n_neighbors": 1.0, "p": 2.0}, "kNN_wine_acc")
    assert -1.0 < loss < -0.5


@pytest.mark.skipif(PUBLISHED is None, reason="published baselines not present")
def test_small_random_search_matches_the_published_baseline() -> None:
    assert PUBLISHED is not None
    baseline = PUBLISHED / "bbo-challenge-baselines" / BASELINE
    result = compare_problem(
        "kNN_wine_acc", read_published(baseline, "kNN_wine_acc"), 61, 0, resamples=500
    )
    assert result.median == pytest.approx(result.published.clip, abs=1e-9)
    assert result.clip_in_median_ci and all(result.in_ci(n) for n in (1, 5, 10))


def test_random_draws_are_seeded_per_trial() -> None:
    # Bayesmark's trees are unseeded; each draw is seeded as a sweep trial, so runs repeat.
    assert sample_losses("DT_wine_nll", 4, seed=3) == sample_losses("DT_wine_nll", 4, seed=3)


@pytest.mark.skipif(PUBLISHED is None, reason="published baselines not present")
def test_reference_baseline_is_the_large_batch_one_pool() -> None:
    assert PUBLISHED is not None
    directory = PUBLISHED / "bbo-challenge-baselines"
    reference = read_published(directory / BASELINE, "kNN_breast_acc")
    small = read_published(directory / "baseline-15-1.json", "kNN_breast_acc")
    assert len(reference.mean) == 100
    # The exact median over the 100 (n_neighbors, p) points is 421 of 455 correct; the small
    # pool behind baseline-15-1.json landed one step off.
    assert reference.clip == pytest.approx(-421 / 455, abs=1e-12)
    assert small.clip == pytest.approx(-420 / 455, abs=1e-12)
