"""Many lanes on one study, with and without the storage proxy (``scale.py --lanes``).

Each lane is a thread of this process with a storage of its own, as a trial process or warm
lane has: without the proxy a database engine with the sweep's settings (so its own
connections), with it a gRPC client of one proxy process (``sweeps.storage.proxy``). Every lane
runs near-zero trials (ask, three suggestions, one report, tell; RandomSampler, so the storage
dominates) through the retry layer. PostgreSQL runs as a role of its own whose CONNECTION LIMIT
stands in for a cluster's per-user limit (and keeps the shared test server usable); its
connections are sampled from ``pg_stat_activity`` every 50 ms.
"""

from __future__ import annotations

import logging
import os
import secrets
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import optuna
from _harness import Stopwatch, Table, median_row, timed

from sweeps.storage.open import open_plain_storage
from sweeps.storage.optuna_internals import rdb_under
from sweeps.storage.proxy import connect, start_proxy
from sweeps.storage.retry import RetryingStorage

ADMIN = {"host": "127.0.0.1", "user": "postgres", "dbname": "test", "autocommit": True}
ROLE_LIMIT = 40
PROXY_CONNECTIONS = 4


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(**ADMIN) as conn:  # type: ignore[arg-type]
        conn.execute(sql)  # type: ignore[arg-type]


@contextmanager
def limited_postgres() -> Iterator[tuple[str, str]]:
    """A fresh database owned by a fresh role allowed ``ROLE_LIMIT`` connections: (url, role)."""
    name = f"sweeps_lanes_{secrets.token_hex(4)}"
    _admin(f"CREATE ROLE {name} LOGIN CONNECTION LIMIT {ROLE_LIMIT}")
    _admin(f"CREATE DATABASE {name} OWNER {name}")
    try:
        yield f"postgresql+psycopg://{name}@127.0.0.1:5432/{name}", name
    finally:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        _admin(f"DROP ROLE IF EXISTS {name}")


@contextmanager
def sqlite_file() -> Iterator[tuple[str, None]]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp)}/lanes.db", None


@contextmanager
def peak_sampler(role: str | None) -> Iterator[list[int]]:
    peak = [0]
    if role is None:
        yield peak
        return
    import psycopg

    stop = threading.Event()

    def sample() -> None:
        with psycopg.connect(**ADMIN) as conn:  # type: ignore[arg-type]
            while not stop.is_set():
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE usename = %s", (role,)
                ).fetchone()
                peak[0] = max(peak[0], int(row[0]) if row else 0)
                stop.wait(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join(10)


def wait_idle(role: str | None, timeout_s: float = 30) -> None:
    """Wait until ``role`` holds no connection (the next cell starts from none)."""
    if role is None:
        return
    import psycopg

    deadline = time.monotonic() + timeout_s
    with psycopg.connect(**ADMIN) as conn:  # type: ignore[arg-type]
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = %s", (role,)
            ).fetchone()
            if not row or int(row[0]) == 0:
                return
            time.sleep(0.2)


def _trial(study: optuna.Study) -> None:
    trial = study.ask()
    trial.suggest_float("x", -5.0, 5.0)
    trial.suggest_int("y", 1, 64, log=True)
    trial.suggest_categorical("z", ["a", "b", "c"])
    trial.report(1.0, step=0)
    study.tell(trial, 1.0)


def run(
    url: str, role: str | None, lanes: int, trials: int, proxied: bool, deadline_s: float
) -> dict[str, Any]:
    """``trials`` trials over ``lanes`` lanes started at once, each lane opening its storage
    first (as a new process does): per-trial ms (median), trials per second and peak
    connections of ``role``. No lane starts a trial, or retries, after ``deadline_s``."""
    per_lane = max(1, trials // lanes)
    study_name = f"lanes-{lanes}-{int(proxied)}-{secrets.token_hex(3)}"
    proxy = start_proxy(url, None, PROXY_CONNECTIONS) if proxied else None
    os.environ["SWEEPS_STORAGE_RETRY_S"] = str(deadline_s)

    def storage() -> RetryingStorage:
        if proxy is not None:
            return RetryingStorage(connect(proxy.address, proxy.token))
        return RetryingStorage(open_plain_storage(url))

    opened: list[RetryingStorage] = []
    times: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    try:
        optuna.create_study(study_name=study_name, storage=storage())
        clock = Stopwatch()

        def lane(i: int) -> None:
            try:
                mine = storage()
                with lock:
                    opened.append(mine)
                study = optuna.load_study(
                    study_name=study_name,
                    storage=mine,
                    sampler=optuna.samplers.RandomSampler(seed=i),
                )
                for _ in range(per_lane):
                    if clock.seconds > deadline_s:
                        raise TimeoutError(f"no time left after {deadline_s:.0f} s")
                    took, _ = timed(lambda: _trial(study))
                    with lock:
                        times.append(took)
            except BaseException as err:
                with lock:
                    errors.append(err)

        threads = [threading.Thread(target=lane, args=(i,)) for i in range(lanes)]
        with peak_sampler(role) as peak:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = clock.stop()
    finally:
        os.environ.pop("SWEEPS_STORAGE_RETRY_S", None)
        if proxy is not None:
            proxy.stop()
        for one in opened:
            rdb = rdb_under(one.backend)
            if rdb is not None:
                rdb.engine.dispose()
        wait_idle(role)
    done = len(times)
    return {
        "lanes": lanes,
        "proxy": proxied,
        "trials": done,
        "wanted": per_lane * lanes,
        "errors": len(errors),
        "first_error": _first_line(errors[0]) if errors else "",
        "trial_ms": 1000 * statistics.median(times) if times else float("nan"),
        "trials_per_s": done / wall if wall else float("nan"),
        "wall_s": wall,
        "peak_connections": peak[0] if role else None,
    }


def _first_line(err: BaseException) -> str:
    cause = err.__cause__ or err
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0][:100] if lines else ''}"


BACKENDS = {"postgresql": limited_postgres, "sqlite": sqlite_file}


def lanes_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(
        [
            "backend",
            "lanes",
            "proxy",
            "trials done / wanted",
            "lanes failed",
            "ms per trial (median)",
            "trials/s",
            "wall s",
            "peak connections",
        ],
        align="lrlrrrrrr",
    )
    for r in rows:
        table.add(
            r["backend"],
            r["lanes"],
            bool(r["proxy"]),
            f"{r['trials']} / {r['wanted']}",
            r["errors"],
            f"{r['trial_ms']:.0f}",
            f"{r['trials_per_s']:.1f}",
            f"{r['wall_s']:.0f}",
            r["peak_connections"],
        )
    return table


def measure_lanes(
    backends: list[str], lanes: list[int], trials: int, deadline_s: float, repeats: int = 1
) -> list[dict[str, Any]]:
    """Every cell (backend, lanes, proxy or not) ``repeats`` times; the median of each figure
    (the first repeat's first error)."""
    logging.getLogger("sweeps.storage").setLevel(logging.ERROR)  # retries are counted, not shown
    rows = []
    for backend in backends:
        with BACKENDS[backend]() as (url, role):
            for n in lanes:
                for proxied in (False, True):
                    runs = []
                    for _ in range(repeats):
                        run_ = run(url, role, n, trials, proxied, deadline_s)
                        runs.append({"backend": backend, **run_})
                        line = lanes_table(runs[-1:]).markdown().splitlines()[-1]
                        print(line, run_["first_error"], flush=True)
                    rows.append(median_row(runs))
    return rows
