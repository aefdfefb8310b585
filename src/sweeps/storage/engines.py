"""SQLAlchemy engine settings for many short-lived trial processes sharing one study.

- SQLite: wait up to a minute for another process's lock (then the retry layer takes over).
- PostgreSQL and MySQL/MariaDB: a pool of one connection (two more for a heartbeat thread),
  pre-pinged on checkout (a server restart or an idle timeout leaves no dead connection in
  use; Optuna sets this for MySQL only) and recycled. A connection left unused for
  ``SWEEPS_STORAGE_IDLE_S`` seconds (default 5) is closed, so a controller waiting hours for its
  GPU job, or a trial between two epochs, holds none: hundreds of trial processes fit under a
  small ``max_connections``, and a brief excess is retried, not failed.
  ``SWEEPS_STORAGE_POOL=null`` opens a connection per call instead (slower, never idle).
  So a process holds at most 3 connections (1 with ``null``), plus one per mutex it holds.
- A storage proxy (:mod:`sweeps.storage.proxy`): a fixed pool of ``connections``, no overflow.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from sweeps.storage.urls import Backend

SQLITE_BUSY_TIMEOUT_S = 60
CONNECT_TIMEOUT_S = 10
POOL_RECYCLE_S = 300
PROXY_POOL_TIMEOUT_S = 300


def engine_kwargs(
    backend: Backend, pool: str | None = None, pool_size: int | None = None
) -> dict[str, Any]:
    """``create_engine`` keyword arguments for ``backend`` (``pool``: ``queue`` or ``null``;
    ``pool_size``: a fixed pool of that many connections and no overflow, for a storage proxy)."""
    if backend == "sqlite":
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}
    pool = pool or os.environ.get("SWEEPS_STORAGE_POOL", "queue")
    if pool not in ("null", "queue"):
        raise ValueError(f"SWEEPS_STORAGE_POOL must be 'queue' or 'null', got {pool!r}")
    connect_args: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_S}
    if backend == "postgresql":
        connect_args["application_name"] = "sweeps"
    kwargs: dict[str, Any] = {"connect_args": connect_args, "pool_pre_ping": True}
    if pool_size is not None:
        kwargs.update(pool_size=pool_size, max_overflow=0, pool_recycle=POOL_RECYCLE_S)
        kwargs["pool_timeout"] = PROXY_POOL_TIMEOUT_S
    elif pool == "null":
        kwargs["poolclass"] = NullPool
    else:
        kwargs.update(pool_size=1, max_overflow=2, pool_recycle=POOL_RECYCLE_S, pool_timeout=30)
    return kwargs


def idle_seconds() -> float:
    """How long a pooled server connection may sit unused (``SWEEPS_STORAGE_IDLE_S``)."""
    return float(os.environ.get("SWEEPS_STORAGE_IDLE_S", 5))


def release_when_idle(engine: Engine, idle_s: float | None = None) -> None:
    """Close ``engine``'s pooled connections once none was used for ``idle_s`` seconds."""
    if isinstance(engine.pool, NullPool):
        return
    idle = idle_s if idle_s is not None else idle_seconds()
    state = {"last": time.monotonic(), "out": 0, "open": 0}
    lock = threading.Lock()

    def checkout(*_: Any) -> None:
        with lock:
            state["out"] += 1
            state["open"] = 1

    def checkin(*_: Any) -> None:
        with lock:
            state["out"] -= 1
            state["last"] = time.monotonic()

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    ref = weakref.ref(engine)

    def reaper() -> None:
        while True:
            time.sleep(idle / 2)
            alive = ref()
            if alive is None:
                return
            with lock:
                due = state["open"] and not state["out"] and time.monotonic() - state["last"] > idle
                if due:
                    state["open"] = 0
            if due:
                alive.pool.dispose()  # closes the pooled connections; the pool stays usable
            del alive

    threading.Thread(target=reaper, name="sweeps-pool-reaper", daemon=True).start()
