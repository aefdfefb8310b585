"""The first connection to a storage: at once, in one line, or not at all.

A storage that was never reached from this process (nor from the sweep that started it) is
most likely misconfigured: a wrong host, port, password or database. That is reported at once,
naming the redacted URL, the driver's reason and what to check; retrying it for minutes would
only hide it. A server that is merely busy (too many connections, starting up) is still waited
for. Once a storage was reached, its processes and their children retry dropped connections
(see :mod:`sweeps.storage.retry`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from sweeps.storage.credentials import expand_url
from sweeps.storage.retry import RetryPolicy, is_busy
from sweeps.storage.urls import backend_of, redact_url, storage_file

REACHED_ENV = "SWEEPS_STORAGE_REACHED"
FIRST_CONNECT_TIMEOUT_S = 5

# (fragment of the driver's reason, what the user should check), first match wins.
_HINTS = (
    ("name or service not known", "is the host name right?"),
    ("name resolution", "is the host name right?"),
    ("nodename nor servname", "is the host name right?"),
    ("connection refused", "is the database server running, and are host and port right?"),
    ("can't connect", "is the database server running, and are host and port right?"),
    ("timed out", "can this host reach the server (firewall, VPN, compute-node network)?"),
    ("timeout", "can this host reach the server (firewall, VPN, compute-node network)?"),
    ("password authentication failed", "are the user and its password (reference) right?"),
    ("access denied", "are the user and its password (reference) right?"),
    ("no password supplied", "is the password reference in the URL set?"),
    ("does not exist", "do the user and the database exist, and may the user use it?"),
    ("unknown database", "does the database exist, and may the user use it?"),
    ("permission denied", "may you write to this directory?"),
)


class StorageUnreachable(ValueError):
    """The storage could not be reached on the first try (one line, no secret)."""


def _digest(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def was_reached(url: str) -> bool:
    """Whether this process, or the sweep that started it, has reached ``url`` before."""
    return _digest(url) in os.environ.get(REACHED_ENV, "").split(",")


def mark_reached(url: str) -> None:
    """Remember that ``url`` answered, here and in every process started from here."""
    if not was_reached(url):
        known = [d for d in os.environ.get(REACHED_ENV, "").split(",") if d]
        os.environ[REACHED_ENV] = ",".join([*known, _digest(url)])


def check_reachable(
    url: str, busy_wait_s: float | None = None, sweep_file: str | Path | None = "SWEEP.yaml"
) -> None:
    """Connect to ``url`` once; :class:`StorageUnreachable` (one line: redacted URL, reason,
    what to check, the ``sweeps doctor`` command for ``sweep_file`` unless None) if that
    fails for any reason but a busy server, which is waited for up to ``busy_wait_s``
    (default: the retry deadline). A CredentialError passes through."""
    try:
        if backend_of(url) in ("sqlite", "journal"):
            _check_file(url)
        else:
            _check_server(url, busy_wait_s)
    except StorageUnreachable as err:
        if sweep_file is None:
            raise
        raise StorageUnreachable(
            f"{err} (run `sweeps doctor --spec {sweep_file}` for details)"
        ) from None
    mark_reached(url)


def _check_server(url: str, busy_wait_s: float | None) -> None:
    real = expand_url(url)
    engine = create_engine(
        real, poolclass=NullPool, connect_args={"connect_timeout": FIRST_CONNECT_TIMEOUT_S}
    )

    def probe() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    try:
        RetryPolicy(busy_wait_s).call("first connection", probe, retry_if=is_busy)
    except Exception as err:
        raise StorageUnreachable(unreachable_message(url, _reason(err, real, url))) from None
    finally:
        engine.dispose()


def _check_file(url: str) -> None:
    path = storage_file(url)
    if path is None:  # an in-memory SQLite database
        return
    problem = _file_problem(path)
    if problem:
        raise StorageUnreachable(unreachable_message(url, problem))


def _file_problem(path: Path) -> str | None:
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            return f"permission denied: cannot read and write {path}"
        return None
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return f"{parent} is not a directory"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"permission denied: cannot create {path} (in {parent})"
    return None


def _reason(err: BaseException, real: str, url: str) -> str:
    """The driver's own first line of ``err``, with any secret of the URL hidden."""
    cause = err.__cause__ or err
    lines = [ln.strip() for ln in str(cause).strip().splitlines() if ln.strip()]
    reason = " ".join(lines[:2]) if lines else type(cause).__name__
    if "(Background on this error" in reason:
        reason = reason.split("(Background on this error", 1)[0].strip()
    return hide_secrets(reason, real, url)


def hide_secrets(message: str, real: str, url: str) -> str:
    """``message`` with the password of ``real`` (the expanded ``url``) and ``real`` itself
    replaced (drivers sometimes echo what they were given)."""
    from sqlalchemy.engine import make_url

    message = message.replace(real, redact_url(url))
    try:
        password = make_url(real).password
    except Exception:  # unparsable: the driver never got as far as using a password
        return message
    if password:
        message = message.replace(str(password), "***")
    return message


def unreachable_message(url: str, reason: str) -> str:
    """One line: the redacted URL, the driver's reason and what to check."""
    hint = next((h for f, h in _HINTS if f in reason.lower()), None)
    check = hint or "check the host, port, user, password and database in the storage URL"
    return f"cannot reach the storage {redact_url(url)}: {reason} -- {check}"


__all__ = ["StorageUnreachable", "check_reachable", "mark_reached", "was_reached"]
