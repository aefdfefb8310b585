"""A run's budget shortened without editing a file (``n_trials=N``): the value is checked
against the sweep file's ``budget.n_trials`` and the spec knows what it was shortened from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sweeps.spec import SpecError, load_spec
from sweeps.spec.shortening import N_TRIALS, N_TRIALS_ENV, hand_on, handed_on
from sweeps.spec.sites import load_with_sites
from sweeps.study.fingerprint import fingerprint, pinned_settings

PUBLISHED = "published:bayesmark-kNN_iris_acc"


def test_n_trials_shortens_the_budget_and_keeps_the_files() -> None:
    full = load_spec(PUBLISHED)
    budget = full.budget.n_trials
    for given in (6, "6", " 6 "):
        short = load_spec(PUBLISHED, n_trials=given)
        assert short.budget.n_trials == 6
        assert short.shortened_from == budget
        # Only the budget differs: the same study, the same pinned settings.
        assert short.model_dump() == {
            **full.model_dump(),
            "budget": {**full.budget.model_dump(), "n_trials": 6},
        }
        assert fingerprint(pinned_settings(short)) == fingerprint(pinned_settings(full))
    assert full.shortened_from is None
    same = load_spec(PUBLISHED, n_trials=budget)
    assert same.budget.n_trials == budget and same.shortened_from is None


def test_a_site_override_that_lowers_the_budget_is_a_shortening_too(tmp_path: Path) -> None:
    small = tmp_path / "small.yaml"
    small.write_text(yaml.safe_dump({"budget": {"n_trials": 2}}))
    spec = load_with_sites(PUBLISHED, [], [small])
    assert (spec.budget.n_trials, spec.shortened_from) == (2, load_spec(PUBLISHED).budget.n_trials)
    # n_trials goes over the overrides, and is checked against the file's own budget.
    assert load_with_sites(PUBLISHED, [], [small], n_trials=9).budget.n_trials == 9


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (0, "a run needs at least 1 trial"),
        (-3, "a run needs at least 1 trial"),
        ("-3", "a run needs at least 1 trial"),
        ("abc", "not a whole number"),
        ("", "not a whole number"),
        (6.5, "not a whole number"),
        (True, "not a whole number"),
        (16, "more than the sweep's budget.n_trials (15)"),
    ],
)
def test_a_wrong_n_trials_is_refused_naming_file_key_and_value(value: Any, said: str) -> None:
    with pytest.raises(SpecError) as error:
        load_spec(PUBLISHED, n_trials=value)
    text = str(error.value)
    first, problem = text.splitlines()
    assert first.endswith("bayesmark-kNN_iris_acc.yaml: refused n_trials")
    assert problem.startswith(f"  {N_TRIALS} = {value!r}: ")
    assert said in problem


def test_a_shortening_below_the_replay_list_is_refused(make_spec: Any) -> None:
    path, _ = make_spec(
        replay=[{"x": 0.5}, {"x": 1.0}, {"x": 1.5}], budget={"n_trials": 4}, parallelism=1
    )
    assert load_spec(path, n_trials=3).budget.n_trials == 3
    with pytest.raises(SpecError, match="replay lists 3 trials, n_trials is smaller") as error:
        load_spec(path, n_trials=2)
    assert str(error.value).startswith(f"{path}: invalid sweep")


def test_the_workflow_hands_the_budget_on_in_the_environment() -> None:
    environ = {N_TRIALS_ENV: "9"}
    assert handed_on(environ) == "9"
    hand_on(None, environ)  # a run given no n_trials clears what an earlier shell left
    assert environ == {} and handed_on(environ) is None
    hand_on(6, environ)
    assert environ == {N_TRIALS_ENV: "6"}
