"""SQLAlchemy engine settings for many short-lived trial processes sharing one study.

- SQLite: wait up to a minute for another process's lock (then the retry layer takes over).
- PostgreSQL and MySQL/MariaDB: by default no pool (``NullPool``): a connection is opened per
  storage call and closed after it, so a controller waiting hours for its GPU job holds no
  connection, a server restart leaves no stale one behind, and hundreds of trial processes fit
  under a small ``max_connections``. ``SWEEPS_STORAGE_POOL=queue`` keeps one pre-pinged,
  recycled connection per process instead (faster per call, one connection per process held).
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy.pool import NullPool

from sweeps.storage.urls import Backend

SQLITE_BUSY_TIMEOUT_S = 60
CONNECT_TIMEOUT_S = 10
POOL_RECYCLE_S = 300


def engine_kwargs(backend: Backend, pool: str | None = None) -> dict[str, Any]:
    """``create_engine`` keyword arguments for ``backend`` (``pool``: ``null`` or ``queue``)."""
    if backend == "sqlite":
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}
    pool = pool or os.environ.get("SWEEPS_STORAGE_POOL", "null")
    if pool not in ("null", "queue"):
        raise ValueError(f"SWEEPS_STORAGE_POOL must be 'null' or 'queue', got {pool!r}")
    connect_args: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_S}
    if backend == "postgresql":
        connect_args["application_name"] = "sweeps"
    kwargs: dict[str, Any] = {"connect_args": connect_args, "pool_pre_ping": True}
    if pool == "null":
        kwargs["poolclass"] = NullPool
    else:
        kwargs.update(pool_size=1, max_overflow=2, pool_recycle=POOL_RECYCLE_S, pool_timeout=30)
    return kwargs
