"""Weighted categoricals: validated in the sweep file, drawn by RandomSampler by weight."""

from __future__ import annotations

from typing import Any

import optuna
import pytest
from support.specs import base_spec

from sweeps.spec import SpecError, spec_from_dict
from sweeps.spec.samplers import build_sampler
from sweeps.spec.space import suggest_all
from sweeps.spec.weighted import weighted_index

optuna.logging.set_verbosity(optuna.logging.WARNING)
SPACE = {
    "opt": {"type": "categorical", "choices": ["a", "b", "c"], "weights": [0.6, 0.3, 0.1]},
    "x": {"type": "float", "low": 0.0, "high": 1.0},
}


def draws(stream: int | None, n: int = 200) -> list[tuple[Any, Any]]:
    spec = spec_from_dict(base_spec(space=SPACE, seed=5))
    study = optuna.create_study(sampler=build_sampler(spec, stream=stream))
    out = []
    for _ in range(n):
        trial = study.ask()
        suggest_all(trial, spec)
        out.append((trial.params["opt"], trial.params["x"]))
        study.tell(trial, 0.0)
    return out


def test_seeded_draws_repeat_and_streams_differ() -> None:
    assert draws(None) == draws(None)
    assert draws(1) != draws(2)


def test_draws_follow_the_weights() -> None:
    picked = [opt for opt, _ in draws(None, 4000)]
    assert picked.count("a") / 4000 == pytest.approx(0.6, abs=0.025)
    assert picked.count("c") / 4000 == pytest.approx(0.1, abs=0.015)


@pytest.mark.parametrize(
    ("x", "index"), [(0.0, 0), (0.59, 0), (0.6, 1), (0.89, 1), (0.9, 2), (0.999, 2)]
)
def test_wandbs_rule(x: float, index: int) -> None:
    """``values[argmin(x >= cumsum(p))]`` (W&B ``params.py``, ``CATEGORICAL_PROB``)."""
    assert weighted_index([0.6, 0.3, 0.1], x) == index


@pytest.mark.parametrize(
    ("weights", "message"),
    [([0.5, 0.5], "2 entries"), ([0.5, 0.6, -0.1], "negative"), ([0.5, 0.2, 0.2], "sum to 1")],
)
def test_bad_weights_name_the_parameter(weights: list[float], message: str) -> None:
    space = {"opt": {"type": "categorical", "choices": ["a", "b", "c"], "weights": weights}}
    with pytest.raises(SpecError, match=message) as err:
        spec_from_dict(base_spec(space=space))
    assert "space.opt" in str(err.value)
