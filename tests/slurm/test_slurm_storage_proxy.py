"""Warm workers as Slurm jobs reach a PostgreSQL study through the sweep's storage proxy over
TCP with its token: real cluster, real proxy, real server."""

from __future__ import annotations

import optuna
import pytest
from support.databases import PASSWORD_ENV, Server, peak_connections
from support.slurm import sleep_sweep, start, sweeps_env
from support.workflow import workflow_project

from sweeps.storage.credentials import expand_url
from sweeps.storage.mutex import LOCK_CONNECTIONS

pytestmark = [pytest.mark.slurm, pytest.mark.e2e, pytest.mark.usefixtures("slurm_cluster")]

TRIALS, PARALLELISM, CONNECTIONS = 4, 2, 2
# Each lane job runs a second controller for the trial it hands over ahead: each controller
# holds a direct connection while it claims its slot (the slot's mutex), at most 4 at once.
CLAIMING = min(2 * PARALLELISM, LOCK_CONNECTIONS)


def test_warm_workers_on_slurm_use_the_proxy_and_never_see_the_password(
    tmp_path, servers: dict[str, Server | str], monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    server = servers["postgresql"]
    if isinstance(server, str):
        pytest.skip(server)
    sweep = sleep_sweep(
        "proxied-slurm",
        1,
        storage=server.url(),
        storage_proxy={"mode": "grpc", "connections": CONNECTIONS},
        budget={"n_trials": TRIALS, "max_retries": 1},
        parallelism=PARALLELISM,
        resources={"gpus": 1, "time_min": 2, "mem_gb": 0.5},
        dispatch={
            "executor": "slurm",
            "mode": "warm",
            "warm": {"workers": 2, "time_min": 10, "heartbeat_s": 1},
            "slurm": {"partition": "small-g", "gpus_per_node": 1, "status_interval_s": 1.0},
        },
    )
    cwd = workflow_project(tmp_path, sweep)
    env = {**sweeps_env(), PASSWORD_ENV: server.password}
    threads = ("--cores", "2", "--force-use-threads", "--config", "controllers=threads")
    with peak_connections(server.user) as peak:
        proc = start(cwd, *threads, env=env)
        output, _ = proc.communicate(timeout=400)
    assert proc.returncode == 0, output[-3000:]
    assert "storage proxy for" in output
    assert "private Unix socket" not in output  # compute nodes reach it over TCP
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    direct = optuna.storages.RDBStorage(expand_url(server.url()))
    study = optuna.load_study(study_name="proxied-slurm", storage=direct)
    trials = study.trials
    direct.engine.dispose()  # later tests count this role's connections
    assert len(trials) == TRIALS
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    assert all(t.system_attrs.get("sweeps:worker") for t in trials)  # run by lanes
    assert peak[0] <= CONNECTIONS + CLAIMING, peak[0]
    for path in cwd.rglob("*"):
        if path.is_file():
            assert server.password.encode() not in path.read_bytes(), path
