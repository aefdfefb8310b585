"""Conditional parameters in sweep files: ``when:`` draws a parameter only for the values of
the parameters it names; checked at load, drawn by the sweep's sampler."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from optuna.trial import TrialState
from support.specs import base_spec

from sweeps.controller.slot import run_slot
from sweeps.job.command import command_argv
from sweeps.job.task import TrialTask
from sweeps.spec import load_spec
from sweeps.spec.samplers import build_sampler
from sweeps.study import load_study, prepare_study
from sweeps.study.fingerprint import pinned_settings

SPACE: dict[str, Any] = {
    "optimizer": {"type": "categorical", "choices": ["sgd", "adam"]},
    "lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
    "momentum": {"type": "float", "low": 0.0, "high": 0.99, "when": {"optimizer": "sgd"}},
    "beta1": {"type": "float", "low": 0.8, "high": 0.999, "when": {"optimizer": ["adam"]}},
}
SGD, ADAM = {"optimizer", "lr", "momentum"}, {"optimizer", "lr", "beta1"}


def write(tmp_path: Path, **overrides: Any) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(base_spec(**overrides)))
    return path


@pytest.mark.parametrize("sampler", ["RandomSampler", "TPESampler"])
def test_each_trial_holds_exactly_its_branchs_parameters(make_spec, sampler: str) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(
        objective="support.objectives:optimizer_loss",
        space=SPACE,
        sampler={"name": sampler},
        budget={"n_trials": 8},
    )
    prepare_study(spec)
    for slot in range(8):
        run_slot(spec, slot, Path(f"results/t/trials/{slot}.json"))
    trials = load_study(spec).trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 8
    drawn = [set(t.params) for t in trials]
    assert all(params in (SGD, ADAM) for params in drawn), drawn
    assert SGD in drawn and ADAM in drawn


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ({"optimiser": "sgd"}, "space.momentum.when.optimiser: unknown parameter 'optimiser'"),
        ({"optimizer": "rmsprop"}, "'rmsprop' is not one of optimizer's choices ['sgd', 'adam']"),
        ({"lr": 0.1}, "space.momentum.when.lr: a condition needs a categorical or int parameter"),
        ({"momentum": 0.5}, "a condition needs a categorical or int parameter"),
    ],
)
def test_a_bad_condition_is_refused_naming_its_key(
    tmp_path: Path, when: dict[str, Any], message: str
) -> None:
    space = {**SPACE, "momentum": {**SPACE["momentum"], "when": when}}
    with pytest.raises(ValueError, match=r"sweep\.yaml") as refused:
        load_spec(write(tmp_path, space=space))
    assert message in str(refused.value)


def test_conditions_in_a_cycle_are_refused_naming_the_cycle(tmp_path: Path) -> None:
    space = {
        "a": {"type": "categorical", "choices": [1, 2], "when": {"b": 1}},
        "b": {"type": "categorical", "choices": [1, 2], "when": {"a": 2}},
    }
    with pytest.raises(ValueError, match="the conditions form a cycle: a -> b -> a"):
        load_spec(write(tmp_path, space=space))


def test_a_grid_refuses_a_conditional_parameter(tmp_path: Path) -> None:
    space = {
        "optimizer": SPACE["optimizer"],
        "depth": {"type": "int", "low": 1, "high": 3, "when": {"optimizer": "sgd"}},
    }
    path = write(tmp_path, space=space, sampler={"name": "GridSampler"})
    with pytest.raises(ValueError, match=r"space\.depth\.when: GridSampler's grid"):
        build_sampler(load_spec(path))


def test_an_unconditional_space_is_pinned_as_before(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path))
    assert pinned_settings(spec)["space"] == {
        "x": {"type": "float", "low": -5.0, "high": 5.0, "log": False, "step": None}
    }


def test_a_command_word_of_a_parameter_not_drawn_is_left_out(tmp_path: Path) -> None:
    command = "python train.py --optimizer={optimizer} --momentum={momentum} --lr {lr}"
    spec = load_spec(write(tmp_path, objective={"command": command}, space=SPACE))
    task = TrialTask(
        spec=spec, trial_id=1, number=0, slot=0, attempt=0,
        params={"optimizer": "adam", "lr": 0.01, "beta1": 0.9}, seed=0, checkpoint_dir="",
    )  # fmt: skip
    argv = command_argv(task)
    assert argv[-3:] == ["--optimizer=adam", "--lr", "0.01"]
    assert not any("momentum" in word for word in argv)
