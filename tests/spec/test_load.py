from __future__ import annotations

from pathlib import Path

import optuna
import pytest
import yaml
from support.specs import REPO, base_spec

from sweeps.spec import SpecError, load_spec, spec_from_dict
from sweeps.spec.model import MAX_N_TRIALS


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
        # Snakemake would build its DAG over 10**12 receipts without a word.
        ({"budget": {"n_trials": 10**12}}, "budget.n_trials", 10**12),
        # Optuna would lower high to the last step without a word.
        (
            {"space": {"x": {"type": "float", "low": 0, "high": 1, "step": 0.3}}},
            "space.x.step",
            0.3,
        ),
        ({"space": {"x": {"type": "int", "low": 0, "high": 10, "step": 3}}}, "space.x.step", 3),
        ({"seed": 2**70}, "seed", 2**70),
        ({"sampler": {"name": "TPESampler", "seed": 2**70}}, "sampler.seed", 2**70),
        ({"seed": -1}, "seed", -1),
        (
            {"space": {"x": {"type": "categorical", "choices": [1, "a", [2]]}}},
            "space.x.choices",
            [1, "a", [2]],
        ),
        (
            {"space": {"x": {"type": "categorical", "choices": [1, {"a": 1}]}}},
            "space.x.choices",
            [1, {"a": 1}],
        ),
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


def test_a_step_that_does_not_divide_the_range_says_what_optuna_would_do() -> None:
    space = {"x": {"type": "float", "low": 0, "high": 1, "step": 0.3}}
    with pytest.raises(SpecError) as info:
        spec_from_dict(base_spec(space=space))
    assert info.value.problems == [
        (
            "space.x.step",
            0.3,
            "0.3 does not divide [0, 1]: Optuna would draw up to 0.9; "
            "set high: 0.9 or a step that divides the range",
        )
    ]
    with pytest.warns(UserWarning):  # what the check spares the sweep
        assert optuna.distributions.FloatDistribution(0, 1, step=0.3).high == 0.9
    ints = {"x": {"type": "int", "low": 2, "high": 12, "step": 4}}
    with pytest.raises(
        SpecError, match="4 does not divide \\[2, 12\\]: Optuna would draw up to 10"
    ):
        spec_from_dict(base_spec(space=ints))


@pytest.mark.parametrize(
    ("kind", "low", "high", "step"),
    [
        ("float", 0.0, 1.0, 0.1),  # 1.0 % 0.1 is not 0 in binary floating point
        ("float", 0.2, 0.7, 0.1),
        ("float", 1e-5, 1e-4, 1e-5),
        ("float", 0.0, 0.1 * 3, 0.1),  # 0.30000000000000004: within float rounding
        ("float", -1.5, 1.5, 0.75),
        ("int", 0, 9, 3),
        ("int", 16, 64, 16),
        ("int", 3, 3, 5),
    ],
)
def test_steps_that_divide_the_range_pass(kind: str, low: float, high: float, step: float) -> None:
    space = {"x": {"type": kind, "low": low, "high": high, "step": step}}
    assert spec_from_dict(base_spec(space=space)).space["x"].step == step  # type: ignore[union-attr]


def test_the_trial_budget_is_bounded_by_what_the_workflow_plans() -> None:
    assert spec_from_dict(base_spec(budget={"n_trials": 10_000})).budget.n_trials == 10_000
    assert spec_from_dict(base_spec(budget={"n_trials": MAX_N_TRIALS})).budget.n_trials > 10_000
    with pytest.raises(SpecError) as info:
        spec_from_dict(base_spec(budget={"n_trials": MAX_N_TRIALS + 1}))
    ((key, value, message),) = info.value.problems
    assert (key, value) == ("budget.n_trials", MAX_N_TRIALS + 1)
    assert f"at most {MAX_N_TRIALS}" in message and "receipt per trial slot" in message


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"seed": 2**70}, "seed"),
        ({"sampler": {"name": "TPESampler", "seed": 2**70}}, "sampler.seed"),
    ],
)
def test_a_seed_out_of_range_is_named_with_the_range(change: dict[str, object], key: str) -> None:
    with pytest.raises(SpecError) as info:
        spec_from_dict(base_spec(**change))
    ((found, value, message),) = info.value.problems  # not also under sampler.args
    assert (found, value) == (key, 2**70)
    assert "between 0 and 2**32 - 1 (4294967295)" in message


def test_choices_optuna_cannot_take_are_one_line_naming_the_element() -> None:
    space = {"x": {"type": "categorical", "choices": [1, "a", [2], {"b": 3}, None, True]}}
    with pytest.raises(SpecError) as info:
        spec_from_dict(base_spec(space=space))
    ((key, _, message),) = info.value.problems
    assert key == "space.x.choices"
    assert message == (
        "Optuna takes choices that are None, bool, int, float or str; "
        "choices[2] = [2] is a list; choices[3] = {'b': 3} is a dict"
    )


def test_every_problem_of_a_file_is_reported_under_its_own_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        base_spec(
            space={"x": {"type": "float", "low": 0, "high": 1, "step": 0.3}},
            seed=2**70,
            sampler={"name": "FancySampler"},
            pruner={"name": "MedianPruner", "args": {"warmup": 1}},
        ),
    )
    with pytest.raises(SpecError) as info:
        load_spec(path)
    keys = [key for key, _, _ in info.value.problems]
    assert sorted(keys) == ["pruner.args.warmup", "sampler.name", "seed", "space.x.step"]
    assert str(info.value).count("\n  ") == 4


def test_a_file_wide_problem_does_not_hide_the_sections_or_echo_the_file(tmp_path: Path) -> None:
    data = base_spec(directions=["minimize"], sampler={"name": "TPESampler", "args": {"x": 1}})
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path, data))
    keys = problem_keys(info.value)
    assert set(keys) == {"", "sampler.args.x"}
    assert "<top level>: give either 'direction' or 'directions', not both" in str(info.value)
