"""Shared fixtures: a scratch sweep directory and sweep files written on the fly."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.specs import base_spec

from sweeps.spec import SweepSpec, load_spec
from sweeps.storage.open import close_storage

TESTS = Path(__file__).parent

# Storage backends (SQLite, PostgreSQL, MariaDB, journal) for the parametrized tests.
pytest_plugins = ["support.backends"]


def pytest_itemcollected(item: pytest.Item) -> None:
    """Tests that share a server run in one pytest-xdist worker, one after another: the Slurm
    test cluster (some take a node down) and the PostgreSQL and MariaDB servers (some restart
    them; Slurm's accounting is on MariaDB). The rest spread over the other workers. (Marked as
    each is collected: pytest-xdist reads the groups when collection ends.)"""
    if _shares_servers(item):
        item.add_marker(pytest.mark.xdist_group("servers"))


def _shares_servers(item: pytest.Item) -> bool:
    if item.get_closest_marker("slurm") is not None:
        return True
    if {"servers", "backend"} & set(getattr(item, "fixturenames", ())):
        return True
    module = getattr(item, "module", None)
    if module is None:
        return False
    if any(getattr(v, "__module__", None) == "support.databases" for v in vars(module).values()):
        return True
    return any(  # a module that opens a database server itself
        isinstance(v, str) and v.startswith(("postgresql", "mysql")) for v in vars(module).values()
    )


@pytest.fixture(autouse=True)
def _objectives_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trial jobs are new processes: they find tests/support through PYTHONPATH."""
    path = os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH")) if p)
    monkeypatch.setenv("PYTHONPATH", path)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run in a scratch directory (sweeps write results/ relative to it)."""
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    close_storage()


@pytest.fixture
def make_spec(workdir: Path):  # type: ignore[no-untyped-def]
    """Write a sweep file from ``base_spec(**overrides)``; return (path, spec)."""

    def make(name: str = "sweep.yaml", **overrides: Any) -> tuple[Path, SweepSpec]:
        data = base_spec(**overrides)
        path = workdir / name
        path.write_text(yaml.safe_dump(data))
        return path, load_spec(path)

    return make
