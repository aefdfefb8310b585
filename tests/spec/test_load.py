from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from support.specs import REPO, base_spec

from sweeps.spec import SpecError, load_spec, spec_from_dict


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def problem_keys(err: SpecError) -> dict[str, object]:
    return {key: value for key, value, _ in err.problems}


def test_shipped_default_sweep_is_valid() -> None:
    spec = load_spec(REPO / "config/sweeps/default.yaml")
    assert spec.study == "digits-mlp"
    assert spec.budget.n_trials >= 10
    assert spec.pruner.name == "MedianPruner"


def test_shorthands_and_defaults() -> None:
    spec = spec_from_dict(base_spec())
    assert spec.directions == ["minimize"]
    assert spec.objective.function == "support.objectives:quadratic"
    assert spec.storage_url == "sqlite:///results/t/study.db"
    assert spec.sampler_seed == 1


def test_yaml_exponent_strings_become_floats(tmp_path: Path) -> None:
    # PyYAML reads 1e-5 (no dot) as a string; the schema coerces it.
    text = yaml.safe_dump(base_spec()).replace("low: -5.0", "low: 1e-5")
    spec = load_spec(write(tmp_path, text))
    assert spec.space["x"].low == pytest.approx(1e-5)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "key", "value"),
    [
        ({"space": {"x": {"type": "float", "low": 3, "high": 1}}}, "space.x", None),
        ({"space": {"x": {"type": "float", "low": "abc", "high": 1}}}, "space.x.low", "abc"),
        ({"space": {"x": {"type": "int", "low": 0, "high": 4, "log": True}}}, "space.x", None),
        ({"space": {"x": {"type": "gaussian"}}}, "space.x", None),
        ({"direction": "up"}, "direction", "up"),
        ({"budget": {"n_trials": 0}}, "budget.n_trials", 0),
        ({"objective": "no_colon_here"}, "objective", "no_colon_here"),
        ({"parallelsim": 2}, "parallelsim", 2),
        ({"sampler": {"name": "FancySampler"}}, "sampler.name", "FancySampler"),
        (
            {"sampler": {"name": "TPESampler", "args": {"n_startup": 3}}},
            "sampler.args.n_startup",
            3,
        ),
        ({"pruner": {"name": "MedianPruner", "args": {"warmup": 1}}}, "pruner.args.warmup", 1),
        ({"storage": "mongodb://db.example/sweeps"}, "storage", "mongodb://db.example/sweeps"),
        # Optuna takes these without a word and fails only once it samples or prunes.
        (
            {"sampler": {"name": "TPESampler", "args": {"n_startup_trials": "abc"}}},
            "sampler.args.n_startup_trials",
            "abc",
        ),
        (
            {"sampler": {"name": "TPESampler", "args": {"multivariate": "yes"}}},
            "sampler.args.multivariate",
            "yes",
        ),
        (
            {"pruner": {"name": "MedianPruner", "args": {"n_warmup_steps": "5"}}},
            "pruner.args.n_warmup_steps",
            "5",
        ),
        ({"sampler": {"name": "GridSampler"}}, "sampler.name", "GridSampler"),
        ({"study": "has space"}, "study", "has space"),
    ],
)
def test_bad_files_name_file_key_and_value(
    tmp_path: Path, change: dict[str, object], key: str, value: object
) -> None:
    path = write(tmp_path, base_spec(**change))
    with pytest.raises(SpecError) as info:
        load_spec(path)
    err = info.value
    assert err.path == str(path)
    keys = problem_keys(err)
    assert key in keys, err.problems
    if value is not None:
        assert keys[key] == value
        assert repr(value) in str(err)
    assert str(path) in str(err)


def test_missing_required_key(tmp_path: Path) -> None:
    data = base_spec()
    del data["budget"]
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path, data))
    assert "budget" in problem_keys(info.value)
    assert "required key is missing" in str(info.value)


def test_not_a_mapping_and_not_yaml(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="must be a YAML mapping"):
        load_spec(write(tmp_path, "- a\n- b\n"))
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(write(tmp_path, "study: [unclosed\n"))
    with pytest.raises(SpecError, match="cannot read file"):
        load_spec(tmp_path / "absent.yaml")


def test_overrides_merge_over_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, base_spec())
    spec = load_spec(path, overrides={"resources": {"gpus": 1}, "parallelism": 8})
    assert spec.resources.gpus == 1
    assert spec.resources.time_min == 2  # kept from the file
    assert spec.parallelism == 8


def test_multi_objective_rejects_pruning() -> None:
    data = base_spec(directions=["minimize", "maximize"], pruner={"name": "MedianPruner"})
    del data["direction"]
    with pytest.raises(SpecError, match="pruning needs a single objective"):
        spec_from_dict(data)
