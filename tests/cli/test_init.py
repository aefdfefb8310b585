"""``sweeps init``: a new project's files, and existing files kept unless forced."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sweeps.cli import main
from sweeps.spec import load_spec

FILES = {
    "Snakefile",
    "config/config.yaml",
    "sweeps/example.yaml",
    "train.py",
    ".gitignore",
    "profiles/default/config.yaml",  # the workflow's own profile: a plain re-run resumes
}


def written(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_init_writes_a_project_whose_sweep_is_valid(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path / "proj")]) == 0
    proj = tmp_path / "proj"
    assert written(proj) == FILES
    config = yaml.safe_load((proj / "config" / "config.yaml").read_text())
    spec = load_spec(proj / config["sweep"])
    assert spec.objective.command is not None and "train.py" in spec.objective.command
    assert "module sweeps:" in (proj / "Snakefile").read_text()
    assert (proj / ".gitignore").read_text().split() == ["results/", ".snakemake/"]


def test_init_refuses_to_overwrite_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "train.py").write_text("# mine\n")
    assert main(["init", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'train.py'}" in err and "--force" in err
    assert written(tmp_path) == {"train.py"}
    assert (tmp_path / "train.py").read_text() == "# mine\n"


def test_init_force_overwrites(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("# mine\n")
    assert main(["init", "--force", str(tmp_path)]) == 0
    assert written(tmp_path) == FILES
    assert "client.report(loss, epoch)" in (tmp_path / "train.py").read_text()
