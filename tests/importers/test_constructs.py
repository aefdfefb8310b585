"""Each W&B / Hydra construct maps to an exact distribution, or fails naming the construct."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from sweeps.cli import main
from sweeps.importers import ImportOptions, UnsupportedConstruct, import_file
from sweeps.spec import load_spec
from sweeps.spec.space import distributions

OPTIONS = ImportOptions(objective="support.objectives:quadratic", n_trials=5)


def wandb(tmp_path: Path, parameters: dict[str, Any], **top: Any) -> dict[str, Any]:
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({"method": "random", "parameters": parameters, **top}))
    return import_file(path, OPTIONS).spec


def hydra(tmp_path: Path, params: dict[str, Any], **sweeper: Any) -> dict[str, Any]:
    path = tmp_path / "config.yaml"
    config = {
        "defaults": [{"override hydra/sweeper": "optuna"}],
        "hydra": {"sweeper": {"params": params, **sweeper}},
    }
    path.write_text(yaml.safe_dump(config))
    return import_file(path, OPTIONS).spec


def test_wandb_distributions(tmp_path: Path) -> None:
    space = wandb(
        tmp_path,
        {
            "a": {"min": 1, "max": 9},
            "b": {"min": 0.0, "max": 1},
            "c": {"distribution": "log_uniform_values", "min": 1e-4, "max": 0.1},
            "d": {"distribution": "log_uniform", "min": math.log(1e-3), "max": 0.0},
            "h": {"value": "fixed"},
        },
    )["space"]
    assert space["a"] == {"type": "int", "low": 1, "high": 9}
    assert space["b"] == {"type": "float", "low": 0.0, "high": 1.0}
    assert space["c"] == {"type": "float", "low": 1e-4, "high": 0.1, "log": True}
    assert space["d"]["low"] == pytest.approx(1e-3) and space["d"]["high"] == 1.0
    assert space["h"] == {"type": "categorical", "choices": ["fixed"]}


@pytest.mark.parametrize(
    ("parameters", "top", "named"),
    [
        ({"x": {"distribution": "normal", "mu": 0, "sigma": 1}}, {}, "parameters.x.distribution"),
        (
            {"x": {"distribution": "q_log_uniform_values", "min": 1, "max": 64, "q": 4}},
            {"method": "bayes", "metric": {"name": "m"}},
            "parameters.x.q",
        ),
        ({"x": {"parameters": {"y": {"values": [1]}}}}, {}, "parameters.x.parameters"),
        ({"x": {"values": [[1, 2]]}}, {}, "parameters.x.values"),
        ({"x": {"min": 0.0, "max": 1.0}}, {"method": "grid"}, "parameters.x.distribution"),
        ({"x": {"values": [1]}}, {"metric": {"name": "m", "target": 0.9}}, "metric.target"),
        ({"x": {"values": [1]}}, {"early_terminate": {"type": "envelope"}}, "early_terminate"),
        (
            {"x": {"values": [1]}},
            {
                "metric": {"name": "m"},
                "early_terminate": {"type": "hyperband", "max_iter": 2, "s": 2},
            },
            "early_terminate",
        ),
    ],
)
def test_wandb_unsupported_constructs_are_named(
    tmp_path: Path, parameters: dict[str, Any], top: dict[str, Any], named: str
) -> None:
    with pytest.raises(UnsupportedConstruct) as err:
        wandb(tmp_path, parameters, **top)
    assert named in str(err.value)
    assert "sweep.yaml" in str(err.value)


def test_wandb_hyperband_min_iter(tmp_path: Path) -> None:
    spec = wandb(
        tmp_path,
        {"x": {"values": [1]}},
        metric={"name": "loss"},
        early_terminate={"type": "hyperband", "min_iter": 2, "eta": 2},
    )
    assert spec["pruner"] == {
        "name": "WandbHyperbandPruner",
        "args": {"eta": 2, "strict": True, "min_iter": 2},
    }


def test_hydra_constructs(tmp_path: Path) -> None:
    space = hydra(
        tmp_path,
        {
            "a": "interval(0, 1)",
            "b": "tag(log, interval(1e-4, 1e-1))",
            "c": "int(interval(1, 8))",
            "d": "range(1, 9, step=2)",
            "e": "choice('relu', gelu, true, 3.5)",
            "f": "range(0.0, 1.0, 0.25)",
            "g": "7",
            "h": 3,
        },
    )["space"]
    assert space["a"] == {"type": "float", "low": 0.0, "high": 1.0}  # interval is float
    assert space["b"] == {"type": "float", "low": 1e-4, "high": 0.1, "log": True}
    assert space["c"] == {"type": "int", "low": 1, "high": 8}
    assert space["d"] == {"type": "int", "low": 1, "high": 9, "step": 2}  # 9 included
    # as the sweeper records and passes them
    assert space["e"] == {"type": "categorical", "choices": ["relu", "gelu", True, 3.5]}
    assert space["f"] == {"type": "float", "low": 0.0, "high": 1.0, "step": 0.25}
    assert space["g"] == {"type": "categorical", "choices": [7]}
    assert space["h"] == {"type": "categorical", "choices": [3]}


@pytest.mark.parametrize(
    ("params", "sweeper", "named"),
    [
        ({"x": "glob(*)"}, {}, "params.x"),
        ({"x": "interval(0, 1"}, {}, "params.x"),
        ({"x": "choice(1, 2)"}, {"custom_search_space": "my.module.space"}, "custom_search_space"),
        ({"x": "choice(1, 2)"}, {"search_space": {"x": {"type": "int"}}}, "search_space"),
    ],
)
def test_hydra_unsupported_constructs_are_named(
    tmp_path: Path, params: dict[str, Any], sweeper: dict[str, Any], named: str
) -> None:
    with pytest.raises(UnsupportedConstruct) as err:
        hydra(tmp_path, params, **sweeper)
    assert named in str(err.value)


def test_hydra_python_space_is_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    module = tmp_path / "spacemod.py"
    module.write_text(f"open({str(marker)!r}, 'w').close()\ndef space(cfg, trial): pass\n")
    with pytest.raises(UnsupportedConstruct, match="never executed"):
        hydra(tmp_path, {"x": "choice(1)"}, custom_search_space="spacemod.space")
    assert not marker.exists()


def test_cli_writes_a_loadable_sweep_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "wb.yaml"
    source.write_text(
        yaml.safe_dump({"method": "grid", "parameters": {"lr": {"values": [0.1, 0.01]}}})
    )
    out = tmp_path / "out" / "sweep.yaml"
    code = main(
        ["import", str(source), "--out", str(out), "--objective", "support.objectives:quadratic"]
    )
    assert code == 0
    spec = load_spec(out)
    assert spec.budget.n_trials == 2 and spec.sampler.name == "GridSampler"
    assert distributions(spec)["lr"].choices == (0.1, 0.01)
    assert out.read_text().startswith("# Imported from wb.yaml")


def test_cli_error_names_construct(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "wb.yaml"
    source.write_text(
        yaml.safe_dump({"method": "random", "parameters": {"x": {"distribution": "normal"}}})
    )
    code = main(["import", str(source), "--out", str(tmp_path / "o.yaml"), "--objective", "m:f"])
    assert code == 2
    err = capsys.readouterr().err
    assert "parameters.x.distribution = 'normal'" in err
    assert not (tmp_path / "o.yaml").exists()
