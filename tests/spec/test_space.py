from __future__ import annotations

import optuna
import pytest
from support.specs import base_spec

from sweeps.spec import spec_from_dict
from sweeps.spec.samplers import build_sampler, resolved_sampler_args, unpinned_sampler_args
from sweeps.spec.space import distributions, grid_search_space

SPACE = {
    "lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
    "drop": {"type": "float", "low": 0.0, "high": 0.5, "step": 0.25},
    "width": {"type": "int", "low": 16, "high": 64, "step": 16},
    "act": {"type": "categorical", "choices": ["relu", "tanh"]},
}


def test_distributions_match_the_file() -> None:
    dists = distributions(spec_from_dict(base_spec(space=SPACE)))
    assert dists["lr"] == optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True)
    assert dists["drop"] == optuna.distributions.FloatDistribution(0.0, 0.5, step=0.25)
    assert dists["width"] == optuna.distributions.IntDistribution(16, 64, step=16)
    assert dists["act"] == optuna.distributions.CategoricalDistribution(["relu", "tanh"])


def test_grid_needs_discrete_parameters() -> None:
    spec = spec_from_dict(base_spec(space={k: v for k, v in SPACE.items() if k != "lr"}))
    assert grid_search_space(spec) == {
        "drop": [0.0, 0.25, 0.5],
        "width": [16, 32, 48, 64],
        "act": ["relu", "tanh"],
    }
    with pytest.raises(ValueError, match=r"space\.lr"):
        grid_search_space(spec_from_dict(base_spec(space=SPACE)))


def test_sampler_arguments_are_resolved_with_defaults() -> None:
    spec = spec_from_dict(
        base_spec(sampler={"name": "TPESampler", "seed": 7, "args": {"n_startup_trials": 3}})
    )
    args = resolved_sampler_args(spec)
    assert args["n_startup_trials"] == 3
    assert args["seed"] == 7
    assert args["constant_liar"] is True  # Optuna 5's default, made explicit
    assert "n_startup_trials" not in unpinned_sampler_args(spec)
    assert "n_ei_candidates" in unpinned_sampler_args(spec)


def test_slot_streams_get_distinct_reproducible_seeds() -> None:
    spec = spec_from_dict(base_spec())
    dist = {"x": optuna.distributions.FloatDistribution(-5, 5)}

    def first_draw(stream: int) -> float:
        study = optuna.create_study(sampler=build_sampler(spec, stream=stream))
        return float(study.ask(dist).params["x"])

    assert first_draw(0) == first_draw(0)
    assert first_draw(0) != first_draw(1)
