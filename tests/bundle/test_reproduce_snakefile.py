"""``sweeps reproduce`` runs the directory's Snakefile, else the installed workflow."""

from __future__ import annotations

from pathlib import Path

import pytest

from sweeps.bundle.reproduce import ReproductionOptions, snakefile_of
from sweeps.shipped import workflow_path


def test_without_a_snakefile_the_installed_workflow_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert snakefile_of(ReproductionOptions()) == workflow_path()
    assert workflow_path().is_file()


def test_the_directorys_snakefile_runs_when_there_is_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Snakefile").write_text("# a project's own workflow\n")
    assert snakefile_of(ReproductionOptions()) == Path("Snakefile")
    chosen = tmp_path / "other.smk"
    assert snakefile_of(ReproductionOptions(snakefile=chosen)) == chosen
