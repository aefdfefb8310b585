"""256 lanes on one PostgreSQL study whose role may open only 8 connections.

The limit is set on the test run's own role (``ALTER ROLE ... CONNECTION LIMIT``), not on the
server or the database: the server is shared with other tests, and a role limit counts exactly
the connections the sweep's processes open. The lanes are 256 threads of this process (256
processes would not fit on the 2-core test machines), each with its own engine or its own gRPC
client, so every connection counted is a real one. The proxy is a real process, started as a
sweep starts it. Connections are counted from ``pg_stat_activity``, sampled every 50 ms by the
superuser (whose connection the role's limit does not count).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import optuna
import pytest
from sqlalchemy import create_engine
from support.databases import PASSWORD_ENV, Server, connection_limit, peak_connections

from sweeps.storage.credentials import expand_url
from sweeps.storage.engines import engine_kwargs
from sweeps.storage.proxy import connect, start_proxy
from sweeps.storage.retry import RetryingStorage

pytestmark = pytest.mark.e2e

LANES = 256
TRIALS_PER_LANE = 2
LIMIT = 8
PROXY_CONNECTIONS = 4


@pytest.fixture
def postgres(servers: dict[str, Server | str], monkeypatch: pytest.MonkeyPatch) -> Server:
    server = servers["postgresql"]
    if isinstance(server, str):
        pytest.skip(server)
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    return server


def run_lanes(lane: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run ``lane(i)`` for every lane at once; return the results and the errors."""
    results: list[Any] = [None] * LANES
    errors: list[BaseException] = []
    start = threading.Barrier(LANES)

    def body(i: int) -> None:
        start.wait()
        try:
            results[i] = lane(i)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(LANES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return results, errors


def test_without_the_fan_in_256_lanes_need_more_connections_than_the_role_may_open(
    postgres: Server,
) -> None:
    """Each lane connects as a trial process does (our engine settings, one connection at
    least); they all use the study at once, so most are refused."""
    url = postgres.url()
    held: list[Any] = []
    engines: list[Any] = []
    lock = threading.Lock()
    everyone_tried = threading.Barrier(LANES)

    def lane(_: int) -> None:
        engine = create_engine(expand_url(url), **engine_kwargs("postgresql"))
        with lock:
            engines.append(engine)
        try:
            connection = engine.connect()
        except Exception:
            everyone_tried.wait()
            raise
        with lock:
            held.append(connection)
        everyone_tried.wait()  # a trial holds its connection while the others start

    with connection_limit(postgres, LIMIT), peak_connections(postgres.user) as peak:
        _, errors = run_lanes(lane)
    for connection in held:
        connection.close()
    for engine in engines:
        engine.dispose()
    assert len(held) <= LIMIT
    assert len(errors) >= LANES - LIMIT
    assert all("too many connections" in str(err) for err in errors)
    assert peak[0] <= LIMIT


def test_through_the_proxy_256_lanes_finish_every_trial_on_a_few_connections(
    postgres: Server,
) -> None:
    """Every trial of every lane completes once, with the value its lane told, while the
    role never holds more than the proxy's connections."""
    url = postgres.url()
    study_name = f"fanin-{time.monotonic_ns()}"
    with connection_limit(postgres, LIMIT), peak_connections(postgres.user) as peak:
        proxy = start_proxy(url, None, PROXY_CONNECTIONS)
        try:
            setup = RetryingStorage(connect(proxy.address, proxy.token))
            optuna.create_study(study_name=study_name, storage=setup)

            def lane(i: int) -> list[float]:
                storage = RetryingStorage(connect(proxy.address, proxy.token))
                study = optuna.load_study(
                    study_name=study_name, storage=storage, sampler=optuna.samplers.RandomSampler()
                )
                told = []
                for k in range(TRIALS_PER_LANE):
                    trial = study.ask()
                    trial.suggest_float("x", 0.0, 1.0)
                    trial.report(0.5, step=0)
                    value = float(i * 1000 + k)
                    study.tell(trial, value)
                    told.append(value)
                return told

            started = time.monotonic()
            results, errors = run_lanes(lane)
            elapsed = time.monotonic() - started
        finally:
            proxy.stop()
    assert not errors, errors[:3]
    direct = optuna.storages.RDBStorage(expand_url(url))
    trials = optuna.load_study(study_name=study_name, storage=direct).get_trials()
    direct.engine.dispose()  # later tests count this role's connections
    told = sorted(v for lane_values in results for v in lane_values)
    assert len(trials) == LANES * TRIALS_PER_LANE
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    assert sorted(t.value for t in trials) == told == sorted(set(told))  # none lost, none twice
    assert sorted(t.number for t in trials) == list(range(LANES * TRIALS_PER_LANE))
    assert all(t.intermediate_values == {0: 0.5} for t in trials)
    assert 1 <= peak[0] <= PROXY_CONNECTIONS, f"peak {peak[0]} connections"
    print(f"{LANES} lanes x {TRIALS_PER_LANE} trials in {elapsed:.1f} s, peak {peak[0]} conns")
