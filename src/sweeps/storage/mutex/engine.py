"""A connection of its own for a database server's locks (one per lock held, closed after)."""

from __future__ import annotations

from functools import cache

import sqlalchemy
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from sweeps.storage.credentials import expand_url
from sweeps.storage.engines import engine_kwargs
from sweeps.storage.retry import RetryPolicy
from sweeps.storage.urls import backend_of


@cache
def _engine(url: str) -> Engine:
    connect_args = engine_kwargs(backend_of(url))["connect_args"]
    return sqlalchemy.create_engine(expand_url(url), poolclass=NullPool, connect_args=connect_args)


def lock_connection(url: str) -> Connection:
    """A new connection to the server behind ``url``; connecting is retried like the study's."""
    return RetryPolicy().call("connect for a lock", _engine(url).connect)
