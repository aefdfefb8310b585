"""Import every real sweep file under ../shared/published/sweep-files and check the result."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from support.published import PUBLISHED

from sweeps.importers import ImportOptions, import_file
from sweeps.spec import spec_from_dict
from sweeps.spec.samplers import build_pruner
from sweeps.spec.space import distributions
from sweeps.spec.wandb_hyperband import WandbHyperbandPruner

FILES = (PUBLISHED or Path("/nonexistent")) / "sweep-files"
OPTIONS = ImportOptions(objective="support.objectives:quadratic")

pytestmark = pytest.mark.skipif(not FILES.is_dir(), reason="published sweep files not present")


def load(name: str, **options: object) -> tuple[dict, object]:
    imported = import_file(FILES / name, ImportOptions(**{**OPTIONS.__dict__, **options}))
    spec = spec_from_dict(imported.spec)
    return imported.spec, spec


def cat(*choices: object) -> optuna.distributions.CategoricalDistribution:
    return optuna.distributions.CategoricalDistribution(list(choices))


def test_every_published_file_imports() -> None:
    names = sorted(p.name for p in FILES.iterdir())
    assert len(names) >= 7
    for name in names:
        unbounded = "cross-validation" in name or "bayes" in name  # W&B: no run_cap
        load(name, **({"n_trials": 30} if unbounded else {}))


def test_hydra_sphere_example() -> None:
    data, spec = load(
        "facebookresearch__hydra__plugins_hydra_optuna_sweeper_example_conf_config.yaml"
    )
    assert distributions(spec) == {
        # range(-5.5, 5.5, step=0.5) includes 5.5 under the Optuna sweeper
        "x": optuna.distributions.FloatDistribution(-5.5, 5.5, step=0.5),
        "y": cat(-5, 0, 5),
    }
    assert data["study"] == "sphere"
    assert spec.directions == ["minimize"]
    assert spec.sampler.name == "TPESampler" and spec.sampler.seed == 123
    assert spec.sampler.args["multivariate"] is False
    assert spec.sampler.args["constant_liar"] is False
    assert spec.budget.n_trials == 20 and spec.parallelism == 1


def test_hydra_multi_objective_example() -> None:
    _, spec = load(
        "facebookresearch__hydra__plugins_hydra_optuna_sweeper_example_multi-objective-conf_config.yaml"
    )
    assert spec.directions == ["minimize", "minimize"]
    assert spec.sampler.name == "NSGAIISampler" and spec.sampler.seed == 123
    assert distributions(spec) == {
        "x": optuna.distributions.FloatDistribution(0, 5, step=0.5),
        "y": optuna.distributions.FloatDistribution(0, 3, step=0.5),
    }


def test_optuna_examples_hydra_config() -> None:
    _, spec = load("optuna__optuna-examples__hydra_conf_config.yaml")
    assert distributions(spec) == {
        "x": optuna.distributions.FloatDistribution(-5.5, 5.5, step=0.5),
        "y": cat(-5, 0, 5),
        # int(tag(log, interval(1, 32)))
        "z": optuna.distributions.IntDistribution(1, 32, log=True),
    }


def test_wandb_bayes_hyperband() -> None:
    data, spec = load(
        "wandb__examples__examples_keras_keras-cnn-fashion_sweep-bayes-hyperband.yaml", n_trials=20
    )
    dists = distributions(spec)
    assert dists["decay"] == cat(1e-5, 1e-6, 1e-7)  # floats, not PyYAML's strings
    assert all(isinstance(v, float) for v in dists["decay"].choices)
    assert dists["epochs"] == cat(27)
    assert dists["hidden_layer_size"] == cat(96, 128, 148)
    assert spec.sampler.name == "GPSampler"
    assert spec.directions == ["minimize"] and spec.metrics == ["val_loss"]
    assert data["pruner"] == {
        "name": "WandbHyperbandPruner",
        "args": {"eta": 3, "strict": True, "max_iter": 27, "s": 2},
    }
    pruner = build_pruner(spec)
    assert isinstance(pruner, WandbHyperbandPruner) and pruner.bands == [3, 9]
    assert spec.budget.n_trials == 20


def test_wandb_grid_hyperband_budget_is_the_grid() -> None:
    _, spec = load(
        "wandb__examples__examples_pytorch_pytorch-cnn-fashion_sweep-grid-hyperband.yaml"
    )
    assert spec.sampler.name == "GridSampler"
    assert spec.budget.n_trials == 5 * 6 * 6 * 3
    assert distributions(spec)["learning_rate"] == cat(0.001, 0.005, 0.0005)


def test_wandb_booleans() -> None:
    _, spec = load(
        "wandb__examples__examples_wandb-sweeps_sweeps-boolean-parameters_sweep-bool.yaml"
    )
    assert distributions(spec) == {
        "optimizer": cat("sgd", "adam"),
        "flag1": cat(False, True),
        "flag2": cat(False, True),
    }
    assert spec.budget.n_trials == 8


def test_wandb_random_explicit_distributions() -> None:
    name = (
        "wandb__examples__examples_wandb-sweeps_sweeps-cross-validation_sweep-cross-validation.yaml"
    )
    _, spec = load(name, n_trials=30)
    dists = distributions(spec)
    assert dists["batch_size"] == optuna.distributions.IntDistribution(32, 128)
    assert dists["epochs"] == cat(200)
    assert dists["optimizer"] == cat("Adam", "Adamax", "Adagrad")
    assert spec.directions == ["maximize"] and spec.metrics == ["val_accuracy"]
    assert spec.sampler.name == "RandomSampler"


def test_hyperband_pruner_checks_at_3_and_9() -> None:
    """The imported pruner decides at iterations 3 and 9 (and never before 3)."""
    _, spec = load(
        "wandb__examples__examples_pytorch_pytorch-cnn-fashion_sweep-grid-hyperband.yaml"
    )
    study = optuna.create_study(pruner=build_pruner(spec))
    for k in range(9):  # nine finished runs with the curve (k + 1) / iteration
        trial = study.ask()
        for step in range(1, 28):
            trial.report((k + 1) / step, step)
            trial.should_prune()
        study.tell(trial, (k + 1) / 27)
    worst = study.ask()
    decided = []
    for step in range(1, 27):
        worst.report(100.0, step)
        if worst.should_prune():
            decided.append(step)
            break
    assert decided == [3]
    middling = study.ask()  # top third at 3, bottom at 9
    checks = []
    for step in range(1, 27):
        middling.report(0.5 if step < 9 else 100.0, step)
        if middling.should_prune():
            checks.append(step)
            break
    assert checks == [9]
