"""A scratch copy of the workflow whose default sweep is a given mapping."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from support.specs import REPO


def workflow_project(dest: Path, sweep: dict[str, Any]) -> Path:
    """Copy the Snakefile, workflow/ and the workflow's profile into ``dest`` and make ``sweep``
    its default sweep."""
    shutil.copy(REPO / "Snakefile", dest / "Snakefile")
    shutil.copytree(REPO / "workflow", dest / "workflow")
    shutil.copytree(REPO / "profiles" / "default", dest / "profiles" / "default")
    (dest / "config" / "sweeps").mkdir(parents=True)
    (dest / "config" / "sweeps" / "default.yaml").write_text(yaml.safe_dump(sweep))
    config = {"sweep": "config/sweeps/default.yaml", "site": None, "force": False}
    (dest / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    return dest


def objectives_env() -> dict[str, str]:
    """The environment with tests/ on PYTHONPATH, so trial jobs import tests/support."""
    path = os.pathsep.join(p for p in (str(REPO / "tests"), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path}


def package_env(**extra: str) -> dict[str, str]:
    """The environment with only the package on PYTHONPATH, as in a user's own project (trial
    jobs find the project's own code in its directory)."""
    return {**os.environ, "PYTHONPATH": str(REPO / "src"), **extra}


def run_snakemake(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """``snakemake ARGS`` in ``cwd`` (default environment: :func:`objectives_env`), output
    captured."""
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=cwd,
        env=objectives_env() if env is None else env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_snakemake(
    cwd: Path, *args: str, env: dict[str, str] | None = None, **popen: Any
) -> subprocess.Popen[str]:
    """`snakemake ARGS` in its own session (as from a terminal), output captured (default
    environment: :func:`objectives_env`)."""
    return subprocess.Popen(
        [sys.executable, "-m", "snakemake", *args],
        cwd=cwd,
        env=env or objectives_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        **popen,
    )
