"""PostgreSQL: a session-level advisory lock, released on exit or when the connection drops."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import text

from sweeps.storage.mutex.engine import lock_connection


@contextlib.contextmanager
def hold(url: str, lock_id: str) -> Iterator[None]:
    """Hold advisory lock ``lock_id`` (hex) of the database at ``url`` for the block."""
    key = int(lock_id[:16], 16) - (1 << 63)  # a signed 64-bit key
    with lock_connection(url) as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()
