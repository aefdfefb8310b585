"""Reproducible mode end to end: two runs of one sweep, trials finishing in random order, ask
identical parameters per trial number and give identical values (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import optuna
import pytest
import sqlalchemy
from optuna.trial import TrialState
from support.specs import base_spec
from support.workflow import run_snakemake, workflow_project

pytestmark = pytest.mark.e2e

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def project(tmp: Path, storage: str) -> Path:
    sweep = base_spec(
        study="repro",
        storage=storage,
        objective="support.repro_objectives:jittered",
        space={
            "x": {"type": "float", "low": -5.0, "high": 5.0},
            "n": {"type": "int", "low": 1, "high": 8},
            "c": {"type": "categorical", "choices": ["a", "b"]},
        },
        sampler={"name": "TPESampler", "args": {"n_startup_trials": 2, "multivariate": True}},
        budget={"n_trials": 4},
        parallelism=2,
        reproducible=True,
        seed=7,
    )
    return workflow_project(tmp, sweep)


def run_sweep(cwd: Path, storage: str) -> dict[int, tuple[dict[str, Any], list[float] | None]]:
    done = run_snakemake(cwd, "--cores", "2")
    assert done.returncode == 0, done.stderr[-4000:]
    study = optuna.load_study(study_name="repro", storage=storage)
    trials = study.get_trials()
    assert len(trials) == 4 and all(t.state == TrialState.COMPLETE for t in trials)
    for t in trials:  # slot i holds trial number i: asked in trial-number order
        assert t.system_attrs["sweeps:slot"] == t.number
        assert t.system_attrs["sweeps:batch"] == t.number // 2
    return {t.number: (t.params, t.values) for t in trials}


def run_both(tmp: Path, storages: list[str]) -> list[dict[int, Any]]:
    """Two independent runs, at the same time (each its own project and study)."""
    cwds = [tmp / name for name in ("first", "second")]
    for cwd in cwds:
        cwd.mkdir()
    projects = [project(cwd, url.format(cwd=cwd)) for cwd, url in zip(cwds, storages, strict=True)]
    with ThreadPoolExecutor(2) as pool:
        runs = [
            pool.submit(run_sweep, cwd, url.format(cwd=cwd))
            for cwd, url in zip(projects, storages, strict=True)
        ]
        return [run.result() for run in runs]


def test_two_sqlite_runs_agree(tmp_path: Path) -> None:
    results = run_both(tmp_path, ["sqlite:///{cwd}/results/repro/study.db"] * 2)
    assert results[0] == results[1]
    assert len({params["x"] for params, _ in results[0].values()}) == 4


@pytest.fixture
def pg_databases() -> Iterator[list[str]]:
    """Two fresh PostgreSQL databases, dropped afterwards."""
    try:
        engine = sqlalchemy.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        engine.connect().close()
    except Exception as err:  # pragma: no cover - depends on the machine
        pytest.skip(f"PostgreSQL not reachable: {err}")
    names = [f"sweeps_repro_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    with engine.connect() as conn:
        for name in names:
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    yield [PG_ADMIN.rsplit("/", 1)[0] + f"/{name}" for name in names]
    with engine.connect() as conn:
        for name in names:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def test_two_postgresql_runs_agree(tmp_path: Path, pg_databases: list[str]) -> None:
    results = run_both(tmp_path, pg_databases)
    assert results[0] == results[1]
