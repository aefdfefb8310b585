from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.specs import base_spec

from sweeps.run.strategies import DispatchConfigError, check_dispatch
from sweeps.spec import load_spec


def _sweep(folder: Path, **overrides: object) -> Path:
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(base_spec(**overrides)))
    return path


def _validate(path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sweeps", "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def test_an_objective_that_cannot_be_imported_is_refused_before_the_study_exists(
    tmp_path: Path,
) -> None:
    path = _sweep(tmp_path, objective="support.no_such_module:train")
    run = _validate(path, tmp_path)
    assert run.returncode == 2
    assert str(path) in run.stderr
    assert "objective.function = 'support.no_such_module:train' cannot be imported" in run.stderr
    assert "ModuleNotFoundError" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "results").exists()


def test_a_missing_function_in_an_importable_module_is_named(tmp_path: Path) -> None:
    path = _sweep(tmp_path, objective="support.objectives:no_such_function")
    with pytest.raises(DispatchConfigError, match="has no attribute 'no_such_function'"):
        check_dispatch(load_spec(path), path)


def test_fixed_arguments_the_objective_does_not_take_are_refused(tmp_path: Path) -> None:
    objective = {"function": "support.objectives:quadratic", "args": {"stepz": 3}}
    path = _sweep(tmp_path, objective=objective)
    with pytest.raises(DispatchConfigError) as refused:
        check_dispatch(load_spec(path), path)
    message = str(refused.value)
    assert str(path) in message and "objective.args = {'stepz': 3}" in message
    assert "unexpected keyword argument 'stepz'" in message


def test_fixed_arguments_the_objective_takes_pass(tmp_path: Path) -> None:
    objective = {"function": "support.objectives:quadratic", "args": {"steps": 3}}
    path = _sweep(tmp_path, objective=objective)
    assert check_dispatch(load_spec(path), path) is None


def test_an_objective_only_the_trials_environment_has_is_a_note_on_slurm(tmp_path: Path) -> None:
    """Slurm trials may run in a container that holds the objective: the submit host cannot
    tell, so validate passes with a note instead of refusing."""
    dispatch = {"executor": "slurm", "poll_interval_s": 0.05}
    path = _sweep(tmp_path, objective="in_container.train:main", dispatch=dispatch)
    run = _validate(path, tmp_path)
    assert run.returncode == 0, run.stderr
    assert "note: objective 'in_container.train:main' cannot be imported here" in run.stdout
