"""W&B constructs on small probe files: exact mappings checked against W&B's own draws,
approximations printed with their difference, refusals named, no key dropped silently.

W&B's draws are re-implemented from ``wandb/sweeps`` ``src/sweeps/params.py``
(``HyperParameter.ppf``): ``np.round(x / q) * q`` of a uniform or log-uniform ``x``, an int
when ``q`` is an int; ``values[argmin(u >= cumsum(probabilities))]`` for weighted choices.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pytest
import yaml

from sweeps.importers import Imported, ImportOptions, UnsupportedConstruct, import_file
from sweeps.spec import SpecError, spec_from_dict
from sweeps.spec.samplers import build_sampler
from sweeps.spec.space import suggest_all
from sweeps.spec.weighted import WeightedRandomSampler

optuna.logging.set_verbosity(optuna.logging.WARNING)
OPTIONS = ImportOptions(objective="support.objectives:quadratic", n_trials=5)


def imported(tmp_path: Path, parameters: dict[str, Any], **top: Any) -> Imported:
    path = tmp_path / "sweep.yaml"
    top.setdefault("method", "random")
    if top["method"] == "bayes":
        top.setdefault("metric", {"name": "loss"})
    path.write_text(yaml.safe_dump({"parameters": parameters, **top}))
    return import_file(path, OPTIONS)


def wandb_draws(kind: str, low: float, high: float, q: float, n: int) -> Counter[Any]:
    """``n`` values as W&B's ``HyperParameter.ppf`` draws them."""
    u = np.random.default_rng(7).uniform(0.0, 1.0, n)
    if kind == "q_uniform":
        x = low + u * (high - low)
    elif kind == "q_log_uniform_values":
        x = np.exp(np.log(low) + u * (np.log(high) - np.log(low)))
    else:  # q_log_uniform: bounds are logs
        x = np.exp(low + u * (high - low))
    values = np.round(x / q) * q
    return Counter(values.astype(int).tolist() if isinstance(q, int) else values.tolist())


QUANTISED = [
    ("q_uniform", 32, 250, 32),  # W&B rounds 250/32 = 7.8 up: 256 is a value
    ("q_log_uniform_values", 32, 250, 32),
    ("q_log_uniform", math.log(32), math.log(250), 32),
    ("q_log_uniform_values", 1, 64, 1),
    ("q_uniform", 0.05, 1.0, 0.25),
    ("q_log_uniform_values", 1, 20, 4),  # 0 is a value: round(1.2 / 4) = 0
    ("q_uniform", -3, 3, 2),
]


@pytest.mark.parametrize(("kind", "low", "high", "q"), QUANTISED)
def test_quantised_under_random_search_is_wandbs_distribution(
    tmp_path: Path, kind: str, low: float, high: float, q: float
) -> None:
    param = imported(tmp_path, {"x": {"distribution": kind, "min": low, "max": high, "q": q}}).spec[
        "space"
    ]["x"]
    draws = wandb_draws(kind, low, high, q, 400_000)
    assert param["type"] == "categorical"
    assert set(param["choices"]) == set(draws)  # every value W&B can produce, no other
    assert all(type(c) is type(next(iter(draws))) for c in param["choices"])
    for value, weight in zip(param["choices"], param["weights"], strict=True):
        assert draws[value] / 400_000 == pytest.approx(weight, abs=3e-3)


def test_the_256_case(tmp_path: Path) -> None:
    """The old ceil/floor bounds stopped at 224; W&B rounds 250 / 32 to 8."""
    param = imported(
        tmp_path, {"x": {"distribution": "q_uniform", "min": 32, "max": 250, "q": 32}}
    ).spec["space"]["x"]
    assert param["choices"] == [32 * k for k in range(1, 9)]
    assert param["weights"][-1] == pytest.approx((250 - 240) / 218)
    assert param["weights"][0] == pytest.approx((48 - 32) / 218)


def test_default_q_gives_floats_as_in_wandb(tmp_path: Path) -> None:
    """W&B's default q is 1.0, a float: its values are floats."""
    param = imported(
        tmp_path, {"x": {"distribution": "q_log_uniform_values", "min": 1, "max": 8}}
    ).spec["space"]["x"]
    assert param["choices"] == [float(k) for k in range(1, 9)]


def test_weighted_values_are_drawn_by_weight(tmp_path: Path) -> None:
    spec = spec_from_dict(
        imported(
            tmp_path,
            {"x": {"distribution": "q_uniform", "min": 32, "max": 250, "q": 32}},
        ).spec
    )
    sampler = build_sampler(spec)
    assert isinstance(sampler, WeightedRandomSampler)
    study = optuna.create_study(sampler=sampler)
    counts: Counter[Any] = Counter()
    for _ in range(3000):
        trial = study.ask()
        suggest_all(trial, spec)
        counts[trial.params["x"]] += 1
        study.tell(trial, 0.0)
    param = spec.space["x"]
    for value, weight in zip(param.choices, param.weights or [], strict=True):
        assert counts[value] / 3000 == pytest.approx(weight, abs=0.03)


def test_probabilities_under_random_search(tmp_path: Path) -> None:
    result = imported(
        tmp_path, {"opt": {"values": ["adam", "sgd", "rms"], "probabilities": [0.7, 0.2, 0.1]}}
    )
    assert result.spec["space"]["opt"] == {
        "type": "categorical",
        "choices": ["adam", "sgd", "rms"],
        "weights": [0.7, 0.2, 0.1],
    }
    spec = spec_from_dict(result.spec)
    study = optuna.create_study(sampler=build_sampler(spec))
    counts: Counter[Any] = Counter()
    for _ in range(3000):
        trial = study.ask()
        suggest_all(trial, spec)
        counts[trial.params["opt"]] += 1
        study.tell(trial, 0.0)
    assert counts["adam"] / 3000 == pytest.approx(0.7, abs=0.03)
    assert counts["rms"] / 3000 == pytest.approx(0.1, abs=0.03)


@pytest.mark.parametrize(
    ("method", "why", "key"),
    [
        ("bayes", "GPSampler cannot weight", "parameters.x.probabilities"),
        ("grid", "grid takes only values", "parameters.x.distribution"),
    ],
)
def test_probabilities_refused_where_not_exact(
    tmp_path: Path, method: str, why: str, key: str
) -> None:
    with pytest.raises(UnsupportedConstruct, match=why) as err:
        imported(tmp_path, {"x": {"values": [1, 2], "probabilities": [0.5, 0.5]}}, method=method)
    assert err.value.key == key


@pytest.mark.parametrize("weights", [[0.5], [0.6, 0.6], [-0.5, 1.5], ["a", "b"]])
def test_bad_probabilities_refused(tmp_path: Path, weights: list[Any]) -> None:
    with pytest.raises(UnsupportedConstruct) as err:
        imported(tmp_path, {"x": {"values": [1, 2], "probabilities": weights}})
    assert err.value.key == "parameters.x.probabilities"


def test_weights_with_another_sampler_fail_validation() -> None:
    data = {
        "study": "w",
        "objective": "support.objectives:quadratic",
        "direction": "minimize",
        "space": {"x": {"type": "categorical", "choices": [1, 2], "weights": [0.5, 0.5]}},
        "sampler": {"name": "TPESampler"},
        "budget": {"n_trials": 2},
    }
    with pytest.raises(SpecError, match=r"space\.x\.weights"):
        spec_from_dict(data)


def test_quantised_under_bayes_is_a_noted_approximation(tmp_path: Path) -> None:
    result = imported(
        tmp_path,
        {
            "u": {"distribution": "q_uniform", "min": 32, "max": 250, "q": 32},
            "l": {"distribution": "q_log_uniform_values", "min": 2, "max": 100, "q": 1},
        },
        method="bayes",
    )
    space = result.spec["space"]
    assert space["u"] == {"type": "int", "low": 32, "high": 256, "step": 32}
    assert space["l"] == {"type": "int", "low": 2, "high": 100, "log": True}
    notes = {note.split(":")[0]: note for note in result.notes}
    assert "approximate" in notes["parameters.u"] and "256 with 0.0458716" in notes["parameters.u"]
    w_low = math.log(2.5 / 2) / math.log(50)
    assert "approximate" in notes["parameters.l"] and f"2 with {w_low:.6g}" in notes["parameters.l"]
    for key in ("parameters.u", "parameters.l", "method"):  # recorded in the sweep itself
        assert notes[key] in result.spec["description"]


def test_many_quantised_values_become_a_noted_range(tmp_path: Path) -> None:
    result = imported(tmp_path, {"x": {"distribution": "q_uniform", "min": 0, "max": 5000, "q": 1}})
    assert result.spec["space"]["x"] == {"type": "int", "low": 0, "high": 5000, "step": 1}
    assert any(n.startswith("parameters.x: approximate") for n in result.notes)


def test_q_uniform_in_a_grid_is_wandbs_grid(tmp_path: Path) -> None:
    """W&B's grid lists ``np.arange(min, max, q)``: max itself is not a grid point."""
    result = imported(
        tmp_path, {"x": {"distribution": "q_uniform", "min": 0, "max": 10, "q": 2}}, method="grid"
    )
    assert result.spec["space"]["x"] == {"type": "categorical", "choices": [0, 2, 4, 6, 8]}
    assert result.spec["budget"]["n_trials"] == 5


@pytest.mark.parametrize(
    ("parameter", "key"),
    [
        ({"distribution": "normal", "mu": 0, "sigma": 1}, "parameters.x.distribution"),
        ({"distribution": "q_normal", "q": 1}, "parameters.x.distribution"),
        ({"distribution": "log_normal"}, "parameters.x.distribution"),
        ({"distribution": "q_log_normal"}, "parameters.x.distribution"),
        ({"distribution": "beta", "a": 1, "b": 2}, "parameters.x.distribution"),
        ({"distribution": "q_beta"}, "parameters.x.distribution"),
        ({"distribution": "inv_log_uniform", "min": 0, "max": 1}, "parameters.x.distribution"),
        (
            {"distribution": "inv_log_uniform_values", "min": 1, "max": 2},
            "parameters.x.distribution",
        ),
        ({"distribution": "zipf", "min": 1, "max": 2}, "parameters.x.distribution"),
        ({"values": [1, 2], "min": 0}, "parameters.x.min"),
        ({"distribution": "int_uniform", "min": 0, "max": 2.5}, "parameters.x.max"),
        ({"distribution": "uniform", "min": "a", "max": 1}, "parameters.x.min"),
        ({"min": 0, "max": 1, "q": 0.5}, "parameters.x.q"),
        ({"distribution": "q_uniform", "min": 0, "max": 1, "q": 0}, "parameters.x.q"),
        ({"distribution": "q_uniform", "min": 1, "max": 1}, "parameters.x.max"),
        ({"distribution": "q_log_uniform_values", "min": 0, "max": 8}, "parameters.x.min"),
    ],
)
def test_refused_by_name(tmp_path: Path, parameter: dict[str, Any], key: str) -> None:
    with pytest.raises(UnsupportedConstruct) as err:
        imported(tmp_path, {"x": parameter})
    assert err.value.key == key


ALL_KEYS: dict[str, Any] = {
    "name": "probe",
    "description": "every key",
    "project": "proj",
    "entity": "team",
    "controller": {"type": "local"},
    "apiVersion": "v1",
    "kind": "sweep",
    "program": "train.py",
    "run_cap": 12,
    "method": "random",
    "metric": {"name": "loss", "goal": "minimize"},
    "early_terminate": {"type": "hyperband", "max_iter": 27, "s": 2, "min_iter": 1, "x": 1},
    "parameters": {"c": {"distribution": "constant", "value": 3}},
}


def test_no_key_is_dropped_silently(tmp_path: Path) -> None:
    """Every key a sweep file does not carry over is noted; the rest land in the spec."""
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(ALL_KEYS))
    options = ImportOptions(objective="support.objectives:quadratic", n_trials=4, study="s")
    result = import_file(path, options)
    noted = {note.split(":")[0] for note in result.notes}
    assert {
        "name",
        "project",
        "entity",
        "controller",
        "apiVersion",
        "kind",
        "program",
        "run_cap",
        "early_terminate.x",
        "early_terminate.min_iter",
        "parameters.c",
        "early_terminate",
    } <= noted
    spec = result.spec
    assert spec["description"].endswith(": every key")
    assert spec["metrics"] == ["loss"] and spec["direction"] == "minimize"
    assert spec["pruner"]["name"] == "WandbHyperbandPruner"
    assert spec["space"]["c"] == {"type": "categorical", "choices": [3]}


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ({"job": "a/b:v1"}, "job"),
        ({"image_uri": "img"}, "image_uri"),
        ({"scheduler": {"job": "x"}}, "scheduler"),
        ({"metrics": [{"name": "a"}, {"name": "b"}]}, "metrics"),
        ({"optimizer": "x"}, "optimizer"),
        ({"method": "custom"}, "method"),
        ({"metric": {"name": "m", "impute": "worst"}}, "metric.impute"),
        ({"metric": {"name": "m", "impute_while_running": "best"}}, "metric.impute_while_running"),
        ({"metric": {"name": "m", "target": 0.1}}, "metric.target"),
        ({"metric": {"name": "m", "mode": "x"}}, "metric.mode"),
        ({"early_terminate": {"type": "hyperband", "max_iter": 27, "s": 2}}, "metric"),
    ],
)
def test_keys_without_equivalent_are_refused(
    tmp_path: Path, extra: dict[str, Any], key: str
) -> None:
    with pytest.raises(UnsupportedConstruct) as err:
        imported(tmp_path, {"x": {"values": [1]}}, **extra)
    assert err.value.key == key


@pytest.mark.parametrize(
    "rule",
    [
        {"type": "hyperband", "max_iter": 2, "s": 2},  # no band of at least 1
        {"type": "hyperband", "max_iter": 27},  # no s
        {"type": "hyperband"},
        {"type": "hyperband", "min_iter": 3, "eta": 1},
        {"type": "hyperband", "min_iter": 3, "strict": "yes"},  # W&B's schema: a boolean
        {"type": "hyperband", "min_iter": 2.5},  # W&B's schema: an integer
    ],
)
def test_hyperband_settings_w_and_b_cannot_run_are_refused(
    tmp_path: Path, rule: dict[str, Any]
) -> None:
    with pytest.raises(UnsupportedConstruct) as err:
        imported(tmp_path, {"x": {"values": [1]}}, metric={"name": "m"}, early_terminate=rule)
    assert err.value.key == "early_terminate"


def test_hyperband_is_wandbs_rule(tmp_path: Path) -> None:
    result = imported(
        tmp_path,
        {"x": {"values": [1]}},
        metric={"name": "acc", "goal": "maximize"},
        early_terminate={"type": "hyperband", "min_iter": 3, "strict": False},
    )
    assert result.spec["pruner"] == {
        "name": "WandbHyperbandPruner",
        "args": {"eta": 3, "strict": False, "min_iter": 3},
    }
    assert any("(exact)" in note and "3, 9, 27, 81, ..." in note for note in result.notes)


def test_float_q_range_has_decimal_bounds(tmp_path: Path) -> None:
    """3 * 0.1 is 0.30000000000000004 in binary; the range's bounds are Optuna-divisible."""
    result = imported(
        tmp_path,
        {"x": {"distribution": "q_uniform", "min": 0.26, "max": 1.66, "q": 0.1}},
        method="bayes",
    )
    assert result.spec["space"]["x"] == {"type": "float", "low": 0.3, "high": 1.7, "step": 0.1}
    assert any("last binary digit" in note for note in result.notes)


def test_a_name_made_into_a_study_name_is_noted(tmp_path: Path) -> None:
    result = imported(tmp_path, {"x": {"values": [1]}}, name="My sweep #1")
    assert result.spec["study"] == "My-sweep-1"
    assert "name: 'My sweep #1' -> study 'My-sweep-1'" in result.notes
