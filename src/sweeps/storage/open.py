"""Open an Optuna storage for a URL, with engine settings for many short-lived processes."""

from __future__ import annotations

from functools import cache

from optuna.storages import BaseStorage, RDBStorage

from sweeps.storage.urls import sqlite_path


@cache
def open_storage(url: str) -> BaseStorage:
    """The Optuna storage behind ``url``, one per process and URL."""
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Many trial processes share one file: wait for locks rather than fail at once.
        return RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 60}})
    if url.startswith("sqlite"):
        return RDBStorage(url)
    return RDBStorage(url, engine_kwargs={"pool_pre_ping": True})


def close_storage() -> None:
    """Forget cached storages (tests, forked processes)."""
    open_storage.cache_clear()


__all__ = ["close_storage", "open_storage"]
