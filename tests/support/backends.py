"""Fixtures for tests parametrized over the storage backends: SQLite, PostgreSQL, MariaDB, a
journal file (loaded by the root conftest)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.databases import PASSWORD_ENV, Backend, Server, fresh_database, in_ci, reachable
from sweeps.storage.open import close_storage

BACKENDS = ["sqlite", "postgresql", "mariadb", "journal"]


@pytest.fixture(scope="session")
def servers() -> Iterator[dict[str, Server | str]]:
    """One fresh database per server for the whole run (or why the server is missing)."""
    found: dict[str, Server | str] = {}
    with _maybe("postgresql", found), _maybe("mysql", found):
        yield found


class _maybe:
    def __init__(self, kind: str, found: dict[str, Server | str]) -> None:
        self.kind, self.found = kind, found
        self.context = None

    def __enter__(self) -> None:
        problem = reachable(self.kind)
        if problem:
            self.found[self.kind] = problem
            return
        self.context = fresh_database(self.kind)  # type: ignore[assignment]
        self.found[self.kind] = self.context.__enter__()  # type: ignore[attr-defined]

    def __exit__(self, *exc: object) -> None:
        if self.context is not None:
            self.context.__exit__(*exc)  # type: ignore[attr-defined]


@pytest.fixture(params=BACKENDS)
def backend(
    request: pytest.FixtureRequest,
    servers: dict[str, Server | str],
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Backend]:
    """A storage URL on each backend; tests use a fresh study name (``unique_study``)."""
    name = request.param
    if name == "sqlite":
        yield Backend(name, f"sqlite:///{workdir}/db/study.db")
    elif name == "journal":
        yield Backend(name, f"journal:///{workdir}/db/study.log")
    else:
        server = servers["postgresql" if name == "postgresql" else "mysql"]
        if isinstance(server, str):
            if in_ci():
                pytest.fail(server)
            pytest.skip(server)
        monkeypatch.setenv(PASSWORD_ENV, server.password)
        yield Backend(name, server.url(), server)
    close_storage()


@pytest.fixture
def unique_study() -> str:
    """A study name no other test uses (the servers' databases live for the whole run)."""
    return f"t-{secrets.token_hex(4)}"
