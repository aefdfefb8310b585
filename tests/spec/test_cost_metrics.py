"""Cost metrics (``energy_wh``, ``trial_gpu_hours``) in a sweep's ``metrics``, and what validation
refuses for the multi-objective study they make."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from support.specs import base_spec

from sweeps.job.cost_values import COST_VALUES
from sweeps.spec import SpecError, load_spec, spec_from_dict
from sweeps.spec.metrics import COST_METRICS, cost_metrics, objective_metrics


def energy_sweep(**overrides: object) -> dict[str, object]:
    data = base_spec(
        direction=None,
        directions=["maximize", "minimize"],
        metrics=["accuracy", "energy_wh"],
        sampler={"name": "NSGAIISampler", "args": {"population_size": 4}},
    )
    data.update(overrides)
    return data


def test_energy_wh_is_a_cost_metric_the_objective_does_not_return() -> None:
    spec = spec_from_dict(energy_sweep())
    assert spec.multi_objective
    assert cost_metrics(spec) == {1: "energy_wh"}
    assert objective_metrics(spec) == ["accuracy"]


def test_every_cost_metric_has_a_value() -> None:
    assert set(COST_VALUES) == set(COST_METRICS)


def test_a_single_objective_sampler_is_refused_by_key_and_value(tmp_path: Path) -> None:
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(energy_sweep(sampler={"name": "CmaEsSampler"})))
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert err.value.problems == [
        (
            "sampler.name",
            "CmaEsSampler",
            "optimises a single objective; this sweep has 2 (use NSGAIISampler or TPESampler)",
        )
    ]
    assert str(path) in str(err.value)


def test_a_pruner_is_refused_for_an_energy_sweep() -> None:
    with pytest.raises(SpecError) as err:
        spec_from_dict(energy_sweep(pruner={"name": "MedianPruner"}))
    assert [(k, v) for k, v, _ in err.value.problems] == [("pruner.name", "MedianPruner")]


def test_a_sweep_of_costs_alone_is_refused() -> None:
    with pytest.raises(SpecError) as err:
        spec_from_dict(energy_sweep(metrics=["trial_gpu_hours", "energy_wh"]))
    key, value, message = err.value.problems[0]
    assert (key, value) == ("metrics", ["trial_gpu_hours", "energy_wh"])
    assert "name at least one the objective returns" in message


def test_multi_objective_tpe_is_accepted() -> None:
    spec = spec_from_dict(energy_sweep(sampler={"name": "TPESampler", "seed": 3}))
    assert spec.sampler.name == "TPESampler"


def test_a_metric_named_twice_is_refused() -> None:
    with pytest.raises(SpecError) as err:
        spec_from_dict(energy_sweep(metrics=["energy_wh", "energy_wh"]))
    assert err.value.problems == [
        ("metrics", ["energy_wh", "energy_wh"], "names energy_wh more than once")
    ]
