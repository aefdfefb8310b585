"""Objectives written for Optuna run unchanged: ``objective: {optuna: module:function}`` is
called with an ``optuna.Trial`` of the sweep's study; what it suggests beyond ``space:`` is
drawn by the sweep's sampler in the trial (define-by-run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
import pytest
import yaml
from optuna.trial import TrialState
from support.specs import base_spec
from support.workflow import run_snakemake, workflow_project

from sweeps.controller.slot import run_slot
from sweeps.job.objective_check import check_objective
from sweeps.spec import load_spec
from sweeps.study import load_study, prepare_study
from sweeps.study.batches import ask_batch

SVC = {"classifier", "svc_c"}
FOREST = {"classifier", "rf_max_depth"}


def optuna_sweep(name: str, **overrides: Any) -> dict[str, Any]:
    sweep = base_spec(study=name, objective={"optuna": f"support.optuna_objectives:{name}"})
    sweep.pop("space")
    sweep.update(overrides)
    return sweep


def run(make_spec, sweep: dict[str, Any], slots: int) -> list[optuna.trial.FrozenTrial]:  # type: ignore[no-untyped-def]
    _, spec = make_spec(**sweep)
    prepare_study(spec)
    if spec.reproducible:
        ask_batch(spec, 0)
    for slot in range(slots):
        run_slot(spec, slot, Path(f"results/{spec.study}/trials/{slot}.json"))
    return load_study(spec).trials


def test_a_conditional_objective_without_space_runs_through_snakemake(tmp_path: Path) -> None:
    sweep = optuna_sweep(
        "conditional", budget={"n_trials": 8}, sampler={"name": "TPESampler", "args": {}}
    )
    sweep["sampler"]["args"]["n_startup_trials"] = 4
    cwd = workflow_project(tmp_path, sweep)
    ran = run_snakemake(cwd, "--cores", "2")
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    study = optuna.load_study(
        study_name="conditional", storage=f"sqlite:///{cwd}/results/conditional/study.db"
    )
    trials = study.trials
    assert len(trials) == 8 and all(t.state == TrialState.COMPLETE for t in trials)
    drawn = [set(t.params) for t in trials]
    assert all(params in (SVC, FOREST) for params in drawn), drawn  # exactly its branch's
    assert SVC in drawn and FOREST in drawn  # both branches explored
    for trial in trials:
        assert trial.user_attrs["classifier_used"] == trial.params["classifier"]
        assert set(trial.distributions) == set(trial.params)


def test_the_sweep_file_pins_part_of_the_space_the_trial_draws_the_rest(make_spec) -> None:  # type: ignore[no-untyped-def]
    sweep = optuna_sweep("two_parameters", space={"x": {"type": "float", "low": 2.0, "high": 3.0}})
    trials = run(make_spec, sweep, 4)
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 4
    for trial in trials:
        assert 2.0 <= trial.params["x"] <= 3.0  # the file's range, not the objective's
        assert 0 <= trial.params["y"] <= 10
        assert trial.value == pytest.approx(trial.params["x"] ** 2 + trial.params["y"])
    assert len({t.params["y"] for t in trials} | {t.params["x"] for t in trials}) > 2


def test_report_should_prune_study_and_user_attrs_work_as_in_optuna(make_spec) -> None:  # type: ignore[no-untyped-def]
    pruner = {"name": "ThresholdPruner", "args": {"upper": 2.0}}
    sweep = optuna_sweep("reported", pruner=pruner, budget={"n_trials": 6})
    trials = run(make_spec, sweep, 6)
    for trial in trials:
        assert trial.user_attrs["study_seen"] == "reported"
        first = (trial.params["x"] - 1.0) ** 2 + 1.0
        if first > 2.0:
            assert trial.state == TrialState.PRUNED and list(trial.intermediate_values) == [0]
        else:
            assert trial.state == TrialState.COMPLETE
            assert list(trial.intermediate_values) == [0, 1, 2, 3]
    assert {t.state for t in trials} == {TrialState.PRUNED, TrialState.COMPLETE}


def test_reproducible_mode_refuses_a_parameter_outside_the_space_by_name(make_spec) -> None:  # type: ignore[no-untyped-def]
    sweep = optuna_sweep(
        "two_parameters",
        space={"x": {"type": "float", "low": 2.0, "high": 3.0}},
        reproducible=True,
        budget={"n_trials": 1, "max_retries": 0},
    )
    [trial] = run(make_spec, sweep, 1)
    assert trial.state == TrialState.FAIL
    reason = trial.user_attrs["fail_reason"]
    assert "suggest 'y': not a parameter of this trial; reproducible: true" in reason
    assert "add 'y' under space:" in reason


def test_validate_refuses_a_function_objective_that_takes_a_trial(tmp_path: Path) -> None:
    sweep = base_spec(objective={"function": "support.optuna_objectives:two_parameters"})
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep))
    with pytest.raises(ValueError, match="takes an Optuna trial") as refused:
        check_objective(load_spec(path), must_import=True)
    assert "objective: {optuna: 'support.optuna_objectives:two_parameters'}" in str(refused.value)


def test_a_sweep_without_space_needs_an_optuna_objective(tmp_path: Path) -> None:
    sweep = base_spec()
    sweep.pop("space")
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep))
    with pytest.raises(ValueError, match="space: give at least one parameter"):
        load_spec(path)
