"""The sweeper's sampler: its config defaults and every argument carried over exactly, noted
where Optuna 5 needs no argument for the same behaviour, or refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.hydra_probe import OPTUNA, sweeper

from sweeps.importers import Imported, UnsupportedConstruct
from sweeps.spec import spec_from_dict
from sweeps.spec.samplers import build_sampler

SPACE = "params:\n  x: range(0, 4)\n"


def sampled(tmp_path: Path, option: str | None, sampler: str = "") -> Imported:
    head = OPTUNA + (f"  - override hydra/sweeper/sampler: {option}\n" if option else "")
    body = (f"sampler:\n{sampler}" if sampler else "") + SPACE
    return sweeper(tmp_path, body, head=head)


def test_default_is_tpe_with_the_sweepers_settings(tmp_path: Path) -> None:
    imported = sampled(tmp_path, None, "  seed: 123\n")
    sampler = imported.spec["sampler"]
    assert sampler["name"] == "TPESampler" and sampler["seed"] == 123
    assert sampler["args"] == {
        "group": False,
        "constant_liar": False,
        "n_startup_trials": 10,
        "n_ei_candidates": 24,
        "multivariate": False,
    }
    notes = "\n".join(imported.notes)
    for arg in ("consider_prior", "prior_weight", "consider_magic_clip", "consider_endpoints"):
        assert f"hydra.sweeper.sampler.{arg}" in notes
    assert "warn_independent_sampling" in notes and "constant_liar" in notes
    built = build_sampler(spec_from_dict(imported.spec))  # Optuna 5 takes every argument
    assert type(built).__name__ == "TPESampler"


def test_arguments_the_file_sets_are_passed(tmp_path: Path) -> None:
    sampler = sampled(
        tmp_path,
        "tpe",
        "  n_startup_trials: 5\n  multivariate: true\n  consider_endpoints: true\n",
    ).spec["sampler"]
    assert sampler["args"]["n_startup_trials"] == 5
    assert sampler["args"]["multivariate"] is True
    assert sampler["args"]["consider_endpoints"] is True  # honoured by Optuna 5, so passed


@pytest.mark.parametrize(
    ("option", "name", "args"),
    [
        ("random", "RandomSampler", {}),
        (
            "nsgaii",
            "NSGAIISampler",
            {"population_size": 50, "crossover_prob": 0.9, "swapping_prob": 0.5},
        ),
        ("cmaes", "CmaEsSampler", {"consider_pruned_trials": False, "use_separable_cma": False}),
        ("qmc", "QMCSampler", {"qmc_type": "sobol", "scramble": False}),
        ("gp", "GPSampler", {"n_startup_trials": 10, "deterministic_objective": False}),
        ("grid", "GridSampler", {}),
    ],
)
def test_each_group_option_maps_with_its_config(
    tmp_path: Path, option: str, name: str, args: dict[str, object]
) -> None:
    imported = sampled(tmp_path, option)
    assert imported.spec["sampler"] == {"name": name, "args": args}
    build_sampler(spec_from_dict(imported.spec))


def test_cmaes_notes_what_optuna_5_no_longer_uses(tmp_path: Path) -> None:
    imported = sampled(tmp_path, "cmaes", "  x0: {x: 1}\n  sigma0: 0.5\n")
    assert imported.spec["sampler"]["args"]["x0"] == {"x": 1}
    assert imported.spec["sampler"]["args"]["sigma0"] == 0.5
    assert any("inc_popsize" in note for note in imported.notes)


def test_a_known_target_without_a_group_choice(tmp_path: Path) -> None:
    head = OPTUNA + "  - override hydra/sweeper/sampler: random\n"
    body = "sampler:\n  _target_: optuna.samplers.RandomSampler\n  seed: 4\n" + SPACE
    assert sweeper(tmp_path, body, head=head).spec["sampler"] == {
        "name": "RandomSampler",
        "args": {},
        "seed": 4,
    }


@pytest.mark.parametrize(
    ("option", "sampler", "named"),
    [
        ("tpe", "  _target_: my.samplers.Fancy\n", "my.samplers.Fancy"),
        ("random", "  _target_: optuna.samplers.BruteForceSampler\n", "BruteForceSampler"),
        ("tpe", "  _target_: optuna.samplers.MOTPESampler\n", "removed in Optuna 4"),
        ("tpe", "  _target_: optuna.samplers.RandomSampler\n", "consider_prior"),
        ("tpe", "  n_ehvi_candidates: 3\n", "n_ehvi_candidates"),
        ("grid", "  seed: 3\n", "not a field of the sweeper's grid"),
        ("cmaes", "  popsize: 8\n", "not a field of the sweeper's cmaes"),
        ("tpe", "  consider_prior: false\n", "fixes it to True"),
        ("cmaes", "  restart_strategy: ipop\n", "restart_strategy"),
        ("cmaes", "  independent_sampler: {_target_: optuna.samplers.RandomSampler}\n", "object"),
        ("nsgaii", "  constraints_func: [1, {_target_: m.f}]\n", "object"),
        ("random", "  seed: abc\n", "integer"),
    ],
)
def test_sampler_settings_that_cannot_be_kept_are_refused(
    tmp_path: Path, option: str, sampler: str, named: str
) -> None:
    with pytest.raises(UnsupportedConstruct) as err:
        sampled(tmp_path, option, sampler)
    assert "hydra.sweeper.sampler" in str(err.value) and named in str(err.value)
