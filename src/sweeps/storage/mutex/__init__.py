"""A named mutex held in the study's own storage, so that runs on any host exclude each other.

Each storage kind has its module: PostgreSQL advisory locks, MariaDB/MySQL ``GET_LOCK``, and a
file lock next to a SQLite database or a journal file. :data:`KINDS` maps a backend to its
implementation; adding a storage kind is one module and one line there.

Locks are held briefly (a slot controller deciding what to do); they are never nested.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
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


def storage_mutex(url: str, name: str) -> AbstractContextManager[None]:
    """Hold the mutex ``name`` of the storage at ``url`` (secrets unexpanded) for the block."""
    return KINDS[backend_of(url)](url, lock_id(url, name))


def lock_id(url: str, name: str) -> str:
    """A fixed-length id for ``name`` in the storage at ``url`` (servers share lock names
    across their databases)."""
    return hashlib.sha256(f"{redact_url(url)}|{name}".encode()).hexdigest()[:40]


__all__ = ["KINDS", "lock_id", "storage_mutex"]
