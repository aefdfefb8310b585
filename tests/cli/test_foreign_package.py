"""W&B's sweep engine is also imported as ``sweeps``: the command and the workflow say so.

A fake foreign ``sweeps`` package is put first on the path of a subprocess (W&B's own is not
installed here); its ``__init__`` raises, as W&B's does without its dependencies, so the test
also shows the check never imports it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sweeps.cli import main

REPO = Path(__file__).resolve().parents[2]
EXPECTED = "is not hpc-sweeps (W&B's sweep engine has the same import name)"


def foreign_env(tmp_path: Path) -> dict[str, str]:
    fake = tmp_path / "fake" / "sweeps"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('__version__ = "0.2.0"\nimport numpy_missing_here\n')
    path = os.pathsep.join([str(tmp_path / "fake"), str(REPO / "src")])
    return {**os.environ, "PYTHONPATH": path}


def test_the_sweeps_command_names_the_foreign_package(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, hpc_sweeps; sys.exit(hpc_sweeps.main())", "status"],
        env=foreign_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"{tmp_path / 'fake' / 'sweeps'} {EXPECTED}" in done.stderr
    assert "pip uninstall sweeps && pip install hpc-sweeps" in done.stderr


def test_a_project_snakefile_names_the_foreign_package(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path / "proj")]) == 0
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--cores", "1"],
        cwd=tmp_path / "proj",
        env=foreign_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert EXPECTED in done.stderr + done.stdout
    assert not (tmp_path / "proj" / "results").exists()
