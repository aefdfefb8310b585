"""A whole sweep on PostgreSQL through the storage proxy: `snakemake --cores 2`, real
controllers, trial jobs and proxy, connections counted from ``pg_stat_activity``; the proxy
killed mid-sweep is restarted and the sweep completes its budget."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from support.databases import PASSWORD_ENV, Server, peak_connections
from support.processes import child_running
from support.specs import base_spec
from support.workflow import objectives_env, run_snakemake, workflow_project

from sweeps.storage.credentials import expand_url
from sweeps.storage.proxy import PROXY_MODULE
from sweeps.study.keys import Key

pytestmark = pytest.mark.e2e

TRIALS, PARALLELISM, CONNECTIONS = 6, 2, 2
RESTART_TRIALS, KILL_AFTER = 12, 4


def postgresql(servers: dict[str, Server | str]) -> Server:
    server = servers["postgresql"]
    if isinstance(server, str):
        pytest.skip(server)
    return server


def proxied_project(tmp: Path, server: Server, study: str, n_trials: int) -> Path:
    """A workflow whose sweep runs ``n_trials`` on PostgreSQL through the storage proxy."""
    sweep = base_spec(
        study=study,
        storage=server.url(),
        storage_proxy={"mode": "grpc", "connections": CONNECTIONS},
        budget={"n_trials": n_trials},
        parallelism=PARALLELISM,
    )
    return workflow_project(tmp, sweep)


def test_a_sweep_through_the_proxy_finishes_on_few_connections_and_leaks_no_password(
    tmp_path: Path, servers: dict[str, Server | str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = postgresql(servers)
    cwd = proxied_project(tmp_path, server, "proxied", TRIALS)
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


def _proxy_of(parent: int) -> int | None:
    """The pid of the storage proxy process that ``parent`` started, if one runs."""
    return child_running(parent, PROXY_MODULE.encode())


def _finished(storage: optuna.storages.RDBStorage, study: str) -> int:
    try:
        study_id = storage.get_study_id_from_name(study)
    except KeyError:
        return 0
    return len(storage.get_all_trials(study_id, deepcopy=False, states=(TrialState.COMPLETE,)))


def test_a_proxy_killed_mid_sweep_is_restarted_and_the_sweep_completes_its_budget(
    tmp_path: Path, servers: dict[str, Server | str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proxy process killed (SIGKILL) once 4 of 12 trials finished: the run restarts it
    on the same address and finishes the budget."""
    server = postgresql(servers)
    cwd = proxied_project(tmp_path, server, "proxy-killed", RESTART_TRIALS)
    env = {**objectives_env(), PASSWORD_ENV: server.password, "SWEEPS_STORAGE_RETRY_S": "60"}
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    direct = optuna.storages.RDBStorage(expand_url(server.url()))
    run = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", str(PARALLELISM)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # stderr apart: the restart line is looked for there
    try:
        killed = None
        deadline = time.monotonic() + 120
        while killed is None and run.poll() is None and time.monotonic() < deadline:
            if _finished(direct, "proxy-killed") >= KILL_AFTER:
                killed = _proxy_of(run.pid)
                assert killed is not None
                os.kill(killed, signal.SIGKILL)
            time.sleep(0.2)
        assert killed is not None, "the sweep ended before the proxy could be killed"
        stdout, stderr = run.communicate(timeout=180)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    try:
        study_id = direct.get_study_id_from_name("proxy-killed")
        trials = direct.get_all_trials(study_id)
    finally:
        direct.engine.dispose()  # later tests count this role's connections
    assert run.returncode == 0, stderr[-3000:]
    assert "ended (killed by signal 9 (SIGKILL)); restarted on the same address" in stderr
    assert [t.state for t in trials].count(TrialState.COMPLETE) == RESTART_TRIALS, trials
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    slots = [t.system_attrs[Key.SLOT] for t in trials if t.state == TrialState.COMPLETE]
    assert sorted(slots) == list(range(RESTART_TRIALS))
    assert "debug_error_string" not in stdout + stderr
    assert server.password not in stdout + stderr
