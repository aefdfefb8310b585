"""SQLite databases and journal files: an exclusive lock on one file beside the storage file.

One lock file serves every name (the sections it guards are short), so a sweep leaves one
``<storage file>.sweeps-lock`` and not one per slot.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from sweeps.storage.locks import file_lock
from sweeps.storage.urls import storage_file


@contextlib.contextmanager
def hold(url: str, lock_id: str) -> Iterator[None]:
    """Hold ``<storage file>.sweeps-lock`` for the block (``lock_id`` is not needed: one file)."""
    path = storage_file(url)
    if path is None:
        raise ValueError("an in-memory SQLite database has no file to lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(Path(f"{path}.sweeps-lock")):  # not ".lock": a journal's own lock file
        yield
