"""Open an Optuna storage for a sweep's storage setting."""

from __future__ import annotations

import random
import time
from functools import cache
from typing import Any

import sqlalchemy.exc
from optuna.storages import BaseStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend, JournalStorage

from sweeps.storage.credentials import expand_url
from sweeps.storage.engines import engine_kwargs, release_when_idle
from sweeps.storage.optuna_internals import cached
from sweeps.storage.proxy import connect_from_env
from sweeps.storage.reach import check_reachable, was_reached
from sweeps.storage.retry import RetryingStorage, RetryPolicy
from sweeps.storage.urls import backend_of, journal_path, sqlite_path


@cache
def open_storage(url: str) -> RetryingStorage:
    """The Optuna storage behind ``url`` (secrets unexpanded), one per process and URL.

    The result retries transient errors (see :mod:`sweeps.storage.retry`); ``.backend`` is
    the plain Optuna storage underneath.
    """
    return RetryingStorage(open_plain_storage(url), tokens=backend_of(url) != "journal")


def open_plain_storage(
    url: str, policy: RetryPolicy | None = None, pool_size: int | None = None
) -> BaseStorage:
    """Optuna's own storage for ``url`` with our engine settings, without the retry layer.

    Where the sweep started a storage proxy for ``url`` (:mod:`sweeps.storage.proxy`), a
    client of that proxy: this process opens no database connection and needs no password.
    A storage this process (or the sweep that started it) never reached is tried once:
    :class:`StorageUnreachable` at once if that fails. One reached before is waited for while
    it is down (``policy`` bounds how long). ``pool_size``: see :func:`engine_kwargs`.
    """
    if pool_size is None:
        client = connect_from_env(url)
        if client is not None:
            return client
    if not was_reached(url):
        check_reachable(url)
    backend = backend_of(url)
    if backend == "journal":
        path = journal_path(url)
        assert path is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(path)))
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    real = expand_url(url)
    kwargs = engine_kwargs(backend, pool_size=pool_size)
    # Creating the schema connects: a server that is restarting is waited for, too.
    rdb = (policy or RetryPolicy()).call("connect", lambda: _create_rdb(real, kwargs))
    if pool_size is None:  # a proxy keeps its few connections
        release_when_idle(rdb.engine)
    # RDBStorage keeps the URL with its password; nothing of ours prints or pickles it.
    return cached(rdb)


def open_proxied_storage(url: str, connections: int) -> RetryingStorage:
    """What a storage proxy serves: the database behind ``url`` through at most
    ``connections`` connections, with our retries (a new trial keeps its client's token)."""
    return RetryingStorage(open_plain_storage(url, pool_size=connections), keep_given_token=True)


SCHEMA_RACE_TRIES = 5
# Lower-cased fragments of what a server says when another process created the same part of
# Optuna's schema a moment earlier (a table, PostgreSQL's enum types, the version row).
_SCHEMA_RACE = ("already exists", "duplicate key", "duplicate entry", "unique constraint")


def _create_rdb(url: str, kwargs: dict[str, Any]) -> RDBStorage:
    """Optuna's RDB storage; creating its schema is retried when several runs start at once on
    an empty database and another one created part of it first (each creation checks first,
    so the retry finds what the other run made)."""
    for attempt in range(1, SCHEMA_RACE_TRIES + 1):
        try:
            return _RDBStorage(url, engine_kwargs=kwargs)
        except sqlalchemy.exc.DatabaseError as err:
            if attempt == SCHEMA_RACE_TRIES or not _schema_race(err):
                raise
            time.sleep(random.uniform(0.05, 0.2) * attempt)
    raise AssertionError("unreachable")


def _schema_race(err: BaseException) -> bool:
    message = str(err).lower()
    return any(fragment in message for fragment in _SCHEMA_RACE)


class _RDBStorage(RDBStorage):
    """RDBStorage that closes its engine when its constructor fails (a retried connect must
    not leak a pooled connection per attempt under a connection limit)."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        try:
            super().__init__(url, **kwargs)
        except BaseException:
            engine = getattr(self, "engine", None)
            if engine is not None:
                engine.dispose()
            raise


def close_storage() -> None:
    """Forget cached storages (tests, forked processes)."""
    open_storage.cache_clear()


__all__ = ["close_storage", "open_plain_storage", "open_proxied_storage", "open_storage"]
