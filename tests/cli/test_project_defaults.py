"""In a project ``sweeps init`` made: the commands without ``--spec`` follow ``sweep:`` in its
config/config.yaml, and ``sweeps validate`` imports a function objective from the project as
the trials will (no ``PYTHONPATH``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from sweeps.cli import build_parser, main
from sweeps.storage.open import close_storage


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A new project, the current directory; the modules its tests write are forgotten."""
    root = tmp_path / "proj"
    assert main(["init", str(root)]) == 0
    monkeypatch.chdir(root)
    before = set(sys.modules)
    yield root
    close_storage()
    for name in set(sys.modules) - before:
        if name.startswith("project_defaults_"):
            del sys.modules[name]


def another_sweep(project: Path, name: str, **changes: object) -> str:
    """A copy of the example sweep as sweeps/NAME.yaml, with ``changes``; its path."""
    sweep = yaml.safe_load((project / "sweeps" / "example.yaml").read_text())
    sweep.update(changes)
    (project / "sweeps" / f"{name}.yaml").write_text(yaml.safe_dump(sweep))
    return f"sweeps/{name}.yaml"


def test_status_report_and_dashboard_follow_the_projects_config(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = another_sweep(project, "other", study="other")
    config = yaml.safe_load((project / "config" / "config.yaml").read_text())
    (project / "config" / "config.yaml").write_text(yaml.safe_dump({**config, "sweep": path}))
    assert main(["study", "prepare"]) == 0
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["study"] == "other"
    assert main(["report"]) == 0
    assert (project / "results" / "other" / "report.html").is_file()
    assert build_parser().parse_args(["dashboard"]).spec == Path(path)


def test_validate_imports_a_function_objective_from_the_project(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "project_defaults_objective.py").write_text(
        "def objective(params, trial):\n    return params['lr']\n"
    )
    objective = {"function": "project_defaults_objective:objective"}
    path = another_sweep(project, "function", objective=objective)
    assert str(project) not in sys.path
    assert main(["validate", path]) == 0
    del sys.modules["project_defaults_objective"]
    monkeypatch.chdir(tmp_path)  # elsewhere: the project is the one above the sweep file
    assert main(["validate", str(project / path)]) == 0
    assert str(project) not in sys.path
