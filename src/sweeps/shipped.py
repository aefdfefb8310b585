"""What the package ships besides code, found in one place: the workflow, published sweeps,
profiles and the ``sweeps init`` template (package data in a wheel, symlinks in a checkout)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

PUBLISHED_PREFIX = "published:"
PUBLISHED_TIMES = "published_times.json"  # benchmarks/published_times.py writes it


def _data(name: str) -> Path:
    return Path(str(resources.files("sweeps") / name))


def workflow_path() -> Path:
    """The installed workflow's Snakefile (use it with Snakemake's ``module`` directive)."""
    return _data("workflow") / "Snakefile"


WORKFLOW_PROFILE = "default"  # profiles/default: Snakemake uses it in every run of the project


def profiles_dir() -> Path:
    return _data("profiles")


def workflow_profile() -> Path:
    """The workflow's own profile (not a site's), which ``sweeps init`` puts in a project."""
    return profiles_dir() / WORKFLOW_PROFILE / "config.yaml"


def init_template_dir() -> Path:
    """The files ``sweeps init`` writes into a new project."""
    return _data("templates") / "init"


def published_sweeps() -> dict[str, Path]:
    """The published sweep files, by name (file name without ``.yaml``)."""
    root = _data("published_sweeps")
    return {p.stem: p for p in sorted(root.glob("*.yaml"))} if root.is_dir() else {}


def published_times_path() -> Path:
    """The measured seconds per trial of the published sweeps (one file for all of them)."""
    return _data(PUBLISHED_TIMES)


def published_times() -> dict[str, Any]:
    """What :func:`published_times_path` holds: the machine, the workflow's own cost and each
    measured sweep's seconds per trial; empty before anything was measured."""
    path = published_times_path()
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text())
    return data
