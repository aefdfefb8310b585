"""All 34 LCBench instances: sweep files generated from the instance table, unknown instances
refused, and every instance's published figures checked on the surrogate."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import optuna
import pytest
import yaml
from optuna.trial import TrialState
from support.published import PUBLISHED
from support.specs import REPO

from sweeps.cli import main
from sweeps.objectives.lcbench import INPUTS, INSTANCES, MAX_EPOCH, SPACE
from sweeps.report.published import NOT_COMPARABLE, compare_published
from sweeps.spec.space import distributions
from sweeps.study.keys import Key

sys.path.insert(0, str(REPO / "benchmarks"))
import lcbench_sweeps
from _published_lcbench import (
    BEST_OF,
    DATA_MAX,
    DATA_MIN,
    POOL_MAX,
    STATISTICS,
    best_of_name,
    check_figures,
    configurations_of,
    load_sweep,
    random_configurations,
    read_ranges,
)

SURROGATE = PUBLISHED / "yahpo-lcbench" if PUBLISHED is not None else None
needs_surrogate = pytest.mark.skipif(
    SURROGATE is None or not (SURROGATE / "model.onnx").exists(),
    reason="the LCBench surrogate is not present",
)
N_RANDOM, CURVES, SEED = 1500, 60, 1  # a smaller sample than the benchmark's 20,000


def surrogate() -> Path:
    assert SURROGATE is not None
    return SURROGATE


def test_committed_sweep_files_are_generated_from_the_table() -> None:
    # Without the published material every figure is taken from the committed files.
    assert lcbench_sweeps.stale(None, None) == []


@needs_surrogate
def test_check_passes_with_the_published_material() -> None:
    assert lcbench_sweeps.main(["--check", "--published", str(surrogate().parent)]) == 0


@needs_surrogate
def test_the_instances_are_the_surrogates() -> None:
    space = json.loads((surrogate() / "config_space.json").read_text())["hyperparameters"]
    bounds = {p["name"]: p for p in space}
    encoding = json.loads((surrogate() / "encoding.json").read_text())["OpenML_task_id"]
    assert len(INSTANCES) == 34 and list(INSTANCES) == bounds["OpenML_task_id"]["choices"]
    assert set(INSTANCES) <= set(encoding)
    assert set(read_ranges(surrogate() / STATISTICS)) == set(INSTANCES)
    for name, param in SPACE.items():
        given = bounds[name]
        assert param["type"] == given["type"].removeprefix("uniform_"), name
        assert param["low"] == pytest.approx(given["lower"]), name
        assert param["high"] == pytest.approx(given["upper"]), name
        assert param.get("log", False) == given["log"], name


def test_every_instance_has_a_valid_sweep_file() -> None:
    for instance in INSTANCES:
        spec = load_sweep(instance)
        assert spec.objective.args == {"instance": instance, "epochs": 52}
        assert spec.published is not None
        names = [f.name for f in spec.published.figures]
        assert names == [DATA_MIN, DATA_MAX, POOL_MAX, *map(best_of_name, BEST_OF)]


def _with_args(tmp_path: Path, **args: object) -> Path:
    data = yaml.safe_load((REPO / "config/sweeps/published/lcbench-3945.yaml").read_text())
    data["objective"]["args"].update(args)
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("instance", ["167083", "999", 167168])
def test_validate_refuses_an_unknown_instance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], instance: object
) -> None:
    path = _with_args(tmp_path, instance=instance)
    assert main(["validate", str(path)]) != 0
    err = capsys.readouterr().err
    assert str(path) in err and "objective.args" in err and f"instance {instance!r}" in err
    assert "known: " + ", ".join(INSTANCES) in err


def test_validate_refuses_epochs_beyond_the_surrogates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(_with_args(tmp_path, epochs=60))]) != 0
    assert "epochs = 60: must be an int in 1..52" in capsys.readouterr().err


def test_random_configurations_are_a_random_sampler_studys() -> None:
    spec = load_sweep("3945")
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=SEED))
    asked = []
    for _ in range(20):
        trial = study.ask(distributions(spec))
        asked.append([float(trial.params[name]) for name in INPUTS[1:]])
        study.tell(trial, 0.0)
    assert np.array_equal(np.array(asked), random_configurations(spec, 20, SEED))


@needs_surrogate
def test_every_instance_is_checked_on_the_surrogate() -> None:
    specs = [load_sweep(instance) for instance in INSTANCES]
    rng = np.random.default_rng(SEED)
    failed = {}
    for spec, configs in zip(specs, configurations_of(specs, N_RANDOM, SEED), strict=True):
        check = check_figures(spec, configs, CURVES, rng, str(surrogate()))
        assert check.range.values == N_RANDOM + CURVES * (MAX_EPOCH - 1)
        if not check.passed:
            failed[check.instance] = check.problems()
    assert failed == {}


def test_compare_sets_a_run_beside_the_data_range() -> None:
    spec = load_sweep("167168")
    study = optuna.create_study(direction="maximize")
    dists = distributions(spec)
    params = {name: d.low for name, d in dists.items()}  # type: ignore[attr-defined]
    figures = {f.name: f.value for f in spec.published.figures}  # type: ignore[union-attr]
    low, high = figures[DATA_MIN], figures[DATA_MAX]
    assert low is not None and high is not None
    curves = [([low + 5, low + 20], low + 30), ([low - 1], None), ([high - 10], high + 2)]
    for slot, (steps, value) in enumerate(curves):
        study.add_trial(
            optuna.trial.create_trial(
                params=params,
                distributions=dists,
                system_attrs={Key.SLOT: slot},
                intermediate_values=dict(enumerate(steps, start=1)),
                state=TrialState.PRUNED if value is None else TrialState.COMPLETE,
                value=value,
            )
        )
    comparison = compare_published(study, spec)
    rows = {r.figure: r for r in comparison.rows}
    assert rows[DATA_MIN].ours == pytest.approx(low - 1)
    assert rows[DATA_MAX].ours == pytest.approx(high + 2)
    assert "lies below the data's lowest" in rows[DATA_MIN].detail
    assert "lies above the data's highest" in rows[DATA_MAX].detail
    assert "of 6 values" in rows[DATA_MIN].basis
    assert {rows[DATA_MIN].verdict, rows[DATA_MAX].verdict} == {NOT_COMPARABLE}
    assert comparison.reproduces
    assert "the highest value in the data the objective was fitted to" in comparison.text()
