"""A whole sweep on PostgreSQL through the storage proxy: `snakemake --cores 2`, real
controllers, trial jobs and proxy, connections counted from ``pg_stat_activity``."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from support.databases import PASSWORD_ENV, Server, peak_connections
from support.specs import base_spec
from support.workflow import objectives_env, run_snakemake, workflow_project

from sweeps.storage.credentials import expand_url

pytestmark = pytest.mark.e2e

TRIALS, PARALLELISM, CONNECTIONS = 6, 2, 2


def test_a_sweep_through_the_proxy_finishes_on_few_connections_and_leaks_no_password(
    tmp_path: Path, servers: dict[str, Server | str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = servers["postgresql"]
    if isinstance(server, str):
        pytest.skip(server)
    sweep = base_spec(
        study="proxied",
        storage=server.url(),
        storage_proxy={"mode": "grpc", "connections": CONNECTIONS},
        budget={"n_trials": TRIALS},
        parallelism=PARALLELISM,
    )
    cwd = workflow_project(tmp_path, sweep)
    env = {**objectives_env(), PASSWORD_ENV: server.password}
    with peak_connections(server.user) as peak:
        ran = run_snakemake(cwd, "--cores", str(PARALLELISM), env=env)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert f"storage proxy for {server.url().split(':$')[0]}" in ran.stderr
    assert f"at most {CONNECTIONS} database connections" in ran.stderr
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    direct = optuna.storages.RDBStorage(expand_url(server.url()))
    study = optuna.load_study(study_name="proxied", storage=direct)
    trials = study.trials
    direct.engine.dispose()  # later tests count this role's connections
    states = [t.state for t in trials]
    assert len(states) == TRIALS
    assert all(s.is_finished() for s in states)
    # the proxy's pool, plus a slot mutex per controller while it claims its slot
    assert peak[0] <= CONNECTIONS + PARALLELISM, peak[0]
    for path in (cwd / "results").rglob("*"):
        if path.is_file():
            assert server.password.encode() not in path.read_bytes(), path
    assert server.password not in ran.stdout + ran.stderr
