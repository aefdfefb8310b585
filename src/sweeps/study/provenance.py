"""Where and with what a sweep or trial ran: versions, host, code version."""

from __future__ import annotations

import platform
import socket
import subprocess
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

from sweeps.spec.facts import HOSTNAME

_PACKAGES = (
    "hpc-sweeps",  # this package (`sweeps` on PyPI is W&B's sweep engine)
    "optuna",
    "snakemake",
    "submitit",
    "sqlalchemy",
    "torch",
    "numpy",
    "scikit-learn",
)


@cache
def package_versions() -> dict[str, str]:
    """Versions of the packages that shape a sweep's results (installed ones only)."""
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


@cache
def git_commit(path: str | None = None) -> str | None:
    """The project's git commit (with ``-dirty`` when modified), or None outside git."""
    cwd = Path(path) if path else Path.cwd()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}-dirty" if dirty else commit


def host_facts() -> dict[str, str]:
    """The host and interpreter running this process."""
    return {
        HOSTNAME.key: socket.gethostname(),
        "platform": platform.platform(),
        "python_executable": sys.executable,
    }
