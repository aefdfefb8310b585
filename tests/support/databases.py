"""Real database servers for the storage tests: a fresh database and password role per run.

PostgreSQL (127.0.0.1:5432, superuser ``postgres``) and MariaDB (127.0.0.1:3306, ``root``)
run on the test machines and in CI. Each run creates its own database owned by a new role with
a random password, and drops both at the end.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}
MY_ADMIN = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}
CONNECTION_LIMIT = 4
MARIADBD = "/usr/sbin/mariadbd"
PASSWORD_ENV = "SWEEPS_TEST_DB_PASSWORD"


@dataclass(frozen=True)
class Server:
    """A fresh database on a server, reachable as ``user`` with ``password``."""

    kind: str
    database: str
    user: str
    password: str

    def url(self) -> str:
        """The storage setting a sweep file would hold (password by reference)."""
        scheme = "postgresql+psycopg" if self.kind == "postgresql" else "mysql+pymysql"
        port = 5432 if self.kind == "postgresql" else 3306
        return f"{scheme}://{self.user}:${{{PASSWORD_ENV}}}@127.0.0.1:{port}/{self.database}"


@dataclass(frozen=True)
class Backend:
    """One backend under test: its name, a storage URL and, for servers, the server."""

    name: str
    url: str
    server: Server | None = None


def _name(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


def _pg(sql: str, **where: str) -> None:
    import psycopg

    with psycopg.connect(**{**PG_ADMIN, **where}, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _my(sql: str) -> None:
    import pymysql

    conn = pymysql.connect(**MY_ADMIN, connect_timeout=5, autocommit=True)  # type: ignore[arg-type]
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
    finally:
        conn.close()


def reachable(kind: str) -> str | None:
    """None if the server answers, else why not."""
    try:
        (_pg if kind == "postgresql" else _my)("SELECT 1")
    except Exception as err:
        return f"{kind} on 127.0.0.1 is not reachable: {err}"
    return None


@contextmanager
def fresh_database(kind: str) -> Iterator[Server]:
    """A new database owned by a new password role with a connection limit; dropped after."""
    server = Server(kind, _name("sweeps_test"), _name("sweeps_role"), secrets.token_urlsafe(18))
    if kind == "postgresql":
        _pg(f"CREATE ROLE {server.user} LOGIN PASSWORD '{server.password}'")
        _pg(f"CREATE DATABASE {server.database} OWNER {server.user}")
    else:
        _my(f"CREATE DATABASE {server.database}")
        _my(f"CREATE USER '{server.user}'@'%' IDENTIFIED BY '{server.password}'")
        _my(f"GRANT ALL ON {server.database}.* TO '{server.user}'@'%'")
    try:
        yield server
    finally:
        ensure_running(kind)
        if kind == "postgresql":
            _pg(f"DROP DATABASE IF EXISTS {server.database} WITH (FORCE)")
            _pg(f"DROP ROLE IF EXISTS {server.user}")
        else:
            _my(f"DROP DATABASE IF EXISTS {server.database}")
            _my(f"DROP USER IF EXISTS '{server.user}'@'%'")


@contextmanager
def connection_limit(server: Server, limit: int = CONNECTION_LIMIT) -> Iterator[None]:
    """Allow ``server.user`` at most ``limit`` connections for the duration."""
    if server.kind == "postgresql":
        _pg(f"ALTER ROLE {server.user} CONNECTION LIMIT {limit}")
    else:
        _my(f"ALTER USER '{server.user}'@'%' WITH MAX_USER_CONNECTIONS {limit}")
    try:
        yield
    finally:
        if server.kind == "postgresql":
            _pg(f"ALTER ROLE {server.user} CONNECTION LIMIT -1")
        else:
            _my(f"ALTER USER '{server.user}'@'%' WITH MAX_USER_CONNECTIONS 0")


def _pg_version() -> str:
    return sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]


def restart(kind: str) -> None:
    """Restart the server (the tests' outage); returns once it accepts connections again."""
    if kind == "postgresql":
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", _pg_version(), "main", "restart"],
            check=True,
            capture_output=True,
            timeout=120,
        )
    else:
        # Stop and wait until the process is gone (else --start --oknodo sees it and does
        # nothing), then start it as the machine's service scripts do.
        subprocess.run(
            ["start-stop-daemon", "--stop", "--retry", "60", "--exec", MARIADBD],
            check=True,
            capture_output=True,
            timeout=90,
        )
        _start_mariadb()
    _wait(lambda: reachable(kind) is None, f"{kind} to accept connections")


def ensure_running(kind: str) -> None:
    """Start the server if a test left it stopped."""
    if reachable(kind) is None:
        return
    if kind == "postgresql":
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", _pg_version(), "main", "start"],
            capture_output=True,
            timeout=120,
        )
    else:
        _start_mariadb()
    _wait(lambda: reachable(kind) is None, f"{kind} to accept connections")


def _start_mariadb() -> None:
    subprocess.run(
        [
            "start-stop-daemon",
            "--start",
            "--oknodo",
            "--background",
            "--exec",
            MARIADBD,
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


def _wait(ready, what: str, timeout_s: float = 90) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.2)


def in_ci() -> bool:
    """CI must have the servers: there a missing one fails instead of skipping."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@contextmanager
def peak_connections(user: str) -> Iterator[list[int]]:
    """Sample the connections ``user`` holds every 50 ms; the list holds the peak after."""
    import psycopg

    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        with psycopg.connect(
            host="127.0.0.1", user="postgres", dbname="test", autocommit=True
        ) as conn:
            while not stop.is_set():
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE usename = %s", (user,)
                ).fetchone()
                peak[0] = max(peak[0], int(row[0]) if row else 0)
                stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        stop.set()
        sampler.join(10)
