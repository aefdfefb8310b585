from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from support.specs import base_spec

from sweeps.job.objective_check import install_hint
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


class _Absent:
    """A meta-path finder for which ``names`` (and their submodules) are not installed."""

    def __init__(self, *names: str) -> None:
        self.names = names

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project (a Snakefile, a sweeps/ folder) and, as the current directory, another one;
    the modules its tests write are forgotten afterwards."""
    root = tmp_path / "project"
    (root / "sweeps").mkdir(parents=True)
    (root / "Snakefile").write_text("# the project's workflow\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    before = set(sys.modules)
    yield root
    for name in set(sys.modules) - before:
        if name.startswith("project_objective"):
            del sys.modules[name]


def test_the_objective_is_imported_from_the_project_as_the_trials_import_it(
    project: Path,
) -> None:
    (project / "project_objective_found.py").write_text(
        "def objective(params, trial):\n    return params['x']\n"
    )
    path = _sweep(project / "sweeps", objective="project_objective_found:objective")
    assert check_dispatch(load_spec(path), path) is None
    assert str(project) not in sys.path  # the path is the caller's again


def test_a_package_missing_inside_the_users_module_names_the_extra_that_brings_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "project_objective_sklearn.py").write_text(
        "from sklearn.datasets import load_digits\n\n"
        "def objective(params, trial):\n    return params['x']\n"
    )
    for name in [n for n in sys.modules if n.partition(".")[0] == "sklearn"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_Absent("sklearn"), *sys.meta_path])
    path = _sweep(project / "sweeps", objective="project_objective_sklearn:objective")
    with pytest.raises(DispatchConfigError) as refused:
        check_dispatch(load_spec(path), path)
    assert str(refused.value) == (
        f"{path}: objective.function = 'project_objective_sklearn:objective' cannot be imported: "
        "ModuleNotFoundError: No module named 'sklearn'; "
        'pip install "hpc-sweeps[torch]" brings it'
    )


def test_a_users_module_missing_from_the_project_says_where_it_was_looked_for(
    project: Path,
) -> None:
    path = _sweep(project / "sweeps", objective="project_objective_absent:objective")
    with pytest.raises(DispatchConfigError) as refused:
        check_dispatch(load_spec(path), path)
    message = str(refused.value)
    assert "No module named 'project_objective_absent'" in message
    assert f"looked for in {project}, where the trials run" in message


@pytest.mark.parametrize(
    ("module", "extra"),
    [
        ("torch", "torch"),
        ("torch.nn", "torch"),
        ("sklearn", "torch"),
        ("sklearn.datasets", "torch"),
        ("lightning", "lightning"),
        ("optuna_integration", "lightning"),
        ("psycopg", "postgres"),
        ("pymysql", "mysql"),
        ("grpc", "proxy"),
        ("google.protobuf", "proxy"),
        ("optuna_dashboard", "dashboard"),
        ("onnxruntime", "bench"),
        ("pynvml", "gpu-bench"),
        ("no_such_package", None),
    ],
)
def test_install_hints_follow_the_distributions_extras(module: str, extra: str | None) -> None:
    expected = None if extra is None else f'pip install "hpc-sweeps[{extra}]"'
    assert install_hint(module) == expected
