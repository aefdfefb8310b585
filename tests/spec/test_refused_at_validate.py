"""Bad inputs that ``sweeps validate`` refuses with the file, the key and the value."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from support.specs import base_spec

from sweeps.cli import main

PARAM = "space:\n  x: {type: %s, low: %s, high: %s, step: %s}\n"


def sweep_text(**overrides: object) -> str:
    """A valid sweep file's text, ``overrides`` replacing top-level keys."""
    return yaml.safe_dump(base_spec(**overrides), sort_keys=False)


def without(key: str, text: str) -> str:
    """``text`` with the top-level ``key`` block removed (to write it by hand)."""
    data = yaml.safe_load(text)
    del data[key]
    return yaml.safe_dump(data, sort_keys=False)


NON_FINITE_BOUNDS = [
    ("float", ".nan", "1.0", "null", "space.x.low", "nan"),
    ("float", "0.0", ".inf", "null", "space.x.high", "inf"),
    ("float", "-.inf", "1.0", "null", "space.x.low", "-inf"),
    ("float", "0.0", "1.0", ".nan", "space.x.step", "nan"),
    ("float", "0.0", "1.0", ".inf", "space.x.step", "inf"),
    ("int", ".nan", "4", "1", "space.x.low", "nan"),
    ("int", "0", ".inf", "1", "space.x.high", "inf"),
    ("int", "0", "4", ".inf", "space.x.step", "inf"),
]

BOOLEANS_AS_NUMBERS = [
    ({"budget": {"n_trials": True}}, "budget.n_trials"),
    ({"budget": {"n_trials": 4, "max_retries": False}}, "budget.max_retries"),
    ({"parallelism": True}, "parallelism"),
    ({"seed": True}, "seed"),
    ({"resources": {"mem_gb": True}}, "resources.mem_gb"),
    ({"space": {"x": {"type": "int", "low": False, "high": 3}}}, "space.x.low"),
    ({"space": {"x": {"type": "float", "low": 0.0, "high": True}}}, "space.x.high"),
]

BAD_OPTUNA_ARGS = [
    (
        {"pruner": {"name": "MedianPruner", "args": {"n_startup_trials": -1}}},
        "n_startup_trials",
        -1,
    ),
    ({"pruner": {"name": "MedianPruner", "args": {"interval_steps": 0}}}, "interval_steps", 0),
    ({"pruner": {"name": "PercentilePruner", "args": {"percentile": 150}}}, "percentile", 150),
    (
        {"pruner": {"name": "MedianPruner", "args": {"n_warmup_steps": "abc"}}},
        "n_warmup_steps",
        "abc",
    ),
    ({"sampler": {"name": "TPESampler", "args": {"n_startup_trials": -1}}}, "n_startup_trials", -1),
    ({"sampler": {"name": "QMCSampler", "args": {"qmc_type": "fancy"}}}, "qmc_type", "fancy"),
    ({"sampler": {"name": "NSGAIISampler", "args": {"population_size": 1}}}, "population_size", 1),
]


def validate(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``sweeps validate`` on ``text``; assert it is refused; return what it printed."""
    path = tmp_path / "sweep.yaml"
    path.write_text(text)
    assert main(["validate", str(path)]) == 2
    printed = capsys.readouterr()
    assert str(path) in printed.err
    return printed.err


@pytest.mark.parametrize(("kind", "low", "high", "step", "key", "shown"), NON_FINITE_BOUNDS)
def test_non_finite_bounds_are_refused(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    low: str,
    high: str,
    step: str,
    key: str,
    shown: str,
) -> None:
    text = without("space", sweep_text()) + PARAM % (kind, low, high, step)
    err = validate(tmp_path, text, capsys)
    assert f"{key} = {shown}: " in err and "finite" in err


@pytest.mark.parametrize(("change", "key"), BOOLEANS_AS_NUMBERS)
def test_booleans_are_not_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, object], key: str
) -> None:
    err = validate(tmp_path, sweep_text(**change), capsys)
    assert f"{key} = " in err and "not the boolean" in err


@pytest.mark.parametrize(("change", "arg", "value"), BAD_OPTUNA_ARGS)
def test_sampler_and_pruner_arguments_are_checked_by_building_them(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, object],
    arg: str,
    value: object,
) -> None:
    section = next(iter(change))
    err = validate(tmp_path, sweep_text(**change), capsys)
    assert f"{section}.args.{arg} = {value!r}: " in err


def test_good_sampler_and_pruner_arguments_pass(capsys: pytest.CaptureFixture[str]) -> None:
    from sweeps.spec import spec_from_dict

    spec = spec_from_dict(
        base_spec(
            sampler={"name": "TPESampler", "args": {"n_startup_trials": 5, "multivariate": True}},
            pruner={"name": "MedianPruner", "args": {"n_startup_trials": 0, "interval_steps": 2}},
        )
    )
    assert spec.pruner.args == {"n_startup_trials": 0, "interval_steps": 2}


DUPLICATES = [
    # (text, dotted key, first line, repeated line)
    (
        "study: t\nobjective: support.objectives:quadratic\ndirection: minimize\n"
        "space:\n  x: {type: float, low: 0, high: 1}\n  x: {type: float, low: 5, high: 9}\n"
        "budget: {n_trials: 4}\n",
        "space.x",
        5,
        6,
    ),
    (
        "study: t\nbudget: {n_trials: 4}\nobjective: support.objectives:quadratic\n"
        "direction: minimize\nspace:\n  x: {type: float, low: 0, high: 1}\n"
        "budget: {n_trials: 400}\n",
        "budget",
        2,
        7,
    ),
    (
        "study: t\nobjective: support.objectives:quadratic\ndirection: minimize\n"
        "space:\n  x: {type: float, low: 0, high: 1}\n"
        "budget:\n  n_trials: 4\n  n_trials: 40\n",
        "budget.n_trials",
        7,
        8,
    ),
]


@pytest.mark.parametrize(("text", "key", "first", "again"), DUPLICATES)
def test_duplicate_keys_name_the_key_and_both_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, key: str, first: int, again: int
) -> None:
    err = validate(tmp_path, text, capsys)
    assert f"{key}: written twice, on lines {first} and {again}" in err


def test_duplicate_keys_in_a_site_file_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(sweep_text())
    site = tmp_path / "site.yaml"
    site.write_text("dispatch:\n  executor: local\n  executor: slurm\n")
    assert main(["validate", str(sweep), "--site", str(site)]) == 2
    err = capsys.readouterr().err
    assert str(site) in err and "dispatch.executor: written twice, on lines 2 and 3" in err


def test_anchors_and_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    from sweeps.spec import load_spec

    text = (
        "study: t\nobjective: support.objectives:quadratic\ndirection: minimize\n"
        "space:\n  x: &p {type: float, low: 0, high: 1}\n  y:\n    <<: *p\n    high: 2\n"
        "budget: {n_trials: 4}\n"
    )
    path = tmp_path / "sweep.yaml"
    path.write_text(text)
    spec = load_spec(path)
    assert spec.space["y"].high == 2  # type: ignore[union-attr]


def test_validate_prints_every_mistake_of_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = sweep_text(
        budget={"n_trials": 10**12},
        seed=2**70,
        space={"x": {"type": "categorical", "choices": [1, "a", [2]]}},
    )
    err = validate(tmp_path, text, capsys)
    assert f"budget.n_trials = {10**12}: more trials than the workflow can plan" in err
    assert f"seed = {2**70}: must be between 0 and 2**32 - 1" in err
    assert "space.x.choices = [1, 'a', [2]]: Optuna takes choices that are None" in err
    assert "sampler.args" not in err
