"""A named mutex held in the study's own storage, so that runs on any host exclude each other.

Each storage kind has its module: PostgreSQL advisory locks, MariaDB/MySQL ``GET_LOCK``, and a
file lock next to a SQLite database or a journal file. :data:`KINDS` maps a backend to its
implementation; adding a storage kind is one module and one line there.

Locks are held briefly (a slot controller deciding what to do); they are never nested, so a
process may bound how many it holds at once (``SWEEPS_LOCK_CONNECTIONS``, default 4).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

from sweeps.storage.mutex import files, mysql, postgresql
from sweeps.storage.urls import Backend, backend_of, redact_url

Mutex = Callable[[str, str], AbstractContextManager[None]]

KINDS: dict[Backend, Mutex] = {
    "postgresql": postgresql.hold,
    "mysql": mysql.hold,
    "sqlite": files.hold,
    "journal": files.hold,
}


# Kinds whose mutex holds a database connection: a process (controllers as threads) holds at
# most LOCK_CONNECTIONS of them at once, whatever the number of its controllers.
ON_A_CONNECTION: frozenset[Backend] = frozenset({"postgresql", "mysql"})
LOCK_CONNECTIONS = int(os.environ.get("SWEEPS_LOCK_CONNECTIONS", 4))
_connections = threading.BoundedSemaphore(LOCK_CONNECTIONS)


@contextlib.contextmanager
def storage_mutex(url: str, name: str) -> Iterator[None]:
    """Hold the mutex ``name`` of the storage at ``url`` (secrets unexpanded) for the block."""
    backend = backend_of(url)
    bounded = _connections if backend in ON_A_CONNECTION else contextlib.nullcontext()
    with bounded, KINDS[backend](url, lock_id(url, name)):
        yield


def lock_id(url: str, name: str) -> str:
    """A fixed-length id for ``name`` in the storage at ``url`` (servers share lock names
    across their databases)."""
    return hashlib.sha256(f"{redact_url(url)}|{name}".encode()).hexdigest()[:40]


__all__ = ["KINDS", "LOCK_CONNECTIONS", "lock_id", "storage_mutex"]
