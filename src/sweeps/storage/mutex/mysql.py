"""MariaDB and MySQL: a named ``GET_LOCK``, released on exit or when the connection drops."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import text

from sweeps.storage.mutex.engine import lock_connection

WAIT_S = 60  # one GET_LOCK call waits this long; the lock is asked for until it is granted


@contextlib.contextmanager
def hold(url: str, lock_id: str) -> Iterator[None]:
    """Hold the server's lock ``sweeps:<lock_id>`` for the block."""
    name = f"sweeps:{lock_id}"
    with lock_connection(url) as connection:
        query = text("SELECT GET_LOCK(:name, :wait)")
        while connection.execute(query, {"name": name, "wait": WAIT_S}).scalar() != 1:
            pass
        try:
            yield
        finally:
            connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": name})
