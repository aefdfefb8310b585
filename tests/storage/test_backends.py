"""The shared study under load, outages and connection limits, on every backend.

Real servers (PostgreSQL, MariaDB on 127.0.0.1) and real processes; no mocks.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.trial import TrialState
from support.databases import CONNECTION_LIMIT, Backend, connection_limit, restart
from support.storage_workers import STEPS, join_all, start_workers

from sweeps.storage import journal_path, open_storage, sqlite_path
from sweeps.study import StudyMismatch, prepare_study
from sweeps.study.keys import Key


def _create(url: str, name: str) -> optuna.Study:
    return optuna.create_study(study_name=name, storage=open_storage(url))


def _check_accounted(url: str, name: str, n_workers: int, per_worker: int) -> None:
    study = optuna.load_study(study_name=name, storage=open_storage(url))
    trials = study.get_trials(deepcopy=False)
    numbers = [t.number for t in trials]
    assert sorted(numbers) == list(range(n_workers * per_worker)), "duplicate or missing numbers"
    assert {t.state for t in trials} == {TrialState.COMPLETE}
    for trial in trials:
        x = trial.params["x"]
        assert trial.value == pytest.approx(x * x)
        assert trial.intermediate_values == {s: pytest.approx(x + s) for s in range(STEPS)}
    per_slot = [sum(t.system_attrs[Key.SLOT] == s for t in trials) for s in range(n_workers)]
    assert per_slot == [per_worker] * n_workers


def test_sixteen_concurrent_trial_processes(backend: Backend, unique_study: str) -> None:
    _create(backend.url, unique_study)
    procs = start_workers(backend.url, unique_study, n_workers=16, n_trials=3)
    join_all(procs)
    _check_accounted(backend.url, unique_study, 16, 3)


def test_outage_while_trials_run_loses_nothing(backend: Backend, unique_study: str) -> None:
    """Servers are restarted; a SQLite file is held exclusively locked; the journal's lock
    is held. The trials in flight wait or retry and all finish."""
    _create(backend.url, unique_study)
    procs = start_workers(backend.url, unique_study, n_workers=6, n_trials=3, pause_s=0.1)
    time.sleep(1.5)
    if backend.server is not None:
        restart(backend.server.kind)
    elif backend.name == "sqlite":
        _hold_sqlite_lock(sqlite_path(backend.url), seconds=3)  # type: ignore[arg-type]
    else:
        _hold_journal_lock(journal_path(backend.url), seconds=3)  # type: ignore[arg-type]
    join_all(procs)
    _check_accounted(backend.url, unique_study, 6, 3)


def _hold_sqlite_lock(path: Path, seconds: float) -> None:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    time.sleep(seconds)
    conn.execute("COMMIT")
    conn.close()


def _hold_journal_lock(path: Path, seconds: float) -> None:
    lock = Path(f"{path}.lock")  # the lock JournalFileSymlinkLock takes
    while True:
        try:
            os.symlink(str(path), lock)
            break
        except FileExistsError:
            time.sleep(0.01)
    time.sleep(seconds)
    lock.unlink()


def test_many_workers_under_a_low_connection_limit(backend: Backend, unique_study: str) -> None:
    """16 processes share a role allowed CONNECTION_LIMIT connections: no 'too many' errors."""
    if backend.server is None:
        pytest.skip("file storages have no connection limit")
    _create(backend.url, unique_study)
    ctx = multiprocessing.get_context("fork")  # a process: forking beside threads can deadlock
    stop, ready = ctx.Event(), ctx.Event()
    with connection_limit(backend.server):
        hog = ctx.Process(target=_hog_connections, args=(backend.url, ready, stop), daemon=True)
        hog.start()  # leave the workers fewer connections than the limit, as a busy server would
        try:
            assert ready.wait(30)
            procs = start_workers(backend.url, unique_study, n_workers=16, n_trials=2)
            join_all(procs)
        finally:
            stop.set()
            hog.join(30)
    _check_accounted(backend.url, unique_study, 16, 2)


def _hog_connections(url: str, ready: Any, stop: Any) -> None:
    from sqlalchemy import create_engine, text

    from sweeps.storage import expand_url

    engine = create_engine(expand_url(url), pool_size=CONNECTION_LIMIT)
    conns = [engine.connect() for _ in range(CONNECTION_LIMIT - 2)]
    for conn in conns:
        conn.execute(text("SELECT 1"))
    ready.set()
    stop.wait(300)
    for conn in conns:
        conn.close()
    engine.dispose()


def test_changed_spec_is_refused_on_resume(backend: Backend, unique_study: str, make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(study=unique_study, storage=backend.url)
    prepare_study(spec)
    _, changed = make_spec(
        "changed.yaml",
        study=unique_study,
        storage=backend.url,
        space={"x": {"type": "float", "low": -1.0, "high": 1.0}},
        sampler={"name": "TPESampler"},
    )
    with pytest.raises(StudyMismatch) as err:
        prepare_study(changed)
    assert "space.x.low: -5.0 -> -1.0" in str(err.value)
    assert "sampler.name: 'RandomSampler' -> 'TPESampler'" in str(err.value)
    prepare_study(changed, force=True)  # explicitly forced: adopted
    prepare_study(changed)  # and now it matches


def test_a_process_holds_few_lock_connections_however_many_threads_lock(
    backend: Backend,
) -> None:
    """32 controller threads each take a different slot's mutex at once: a server-backed
    mutex holds a connection, and the process never holds more than LOCK_CONNECTIONS."""
    import threading

    from sweeps.storage.mutex import LOCK_CONNECTIONS, ON_A_CONNECTION, storage_mutex
    from sweeps.storage.urls import backend_of

    if backend_of(backend.url) not in ON_A_CONNECTION:
        pytest.skip("a file lock holds no connection")
    inside, peak, lock = [0], [0], threading.Lock()

    def claim(slot: int) -> None:
        with storage_mutex(backend.url, f"study:bounded:slot:{slot}"):
            with lock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            time.sleep(0.2)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=claim, args=(slot,)) for slot in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert peak[0] == LOCK_CONNECTIONS
