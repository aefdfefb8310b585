"""A per-sweep fan-in to a database: Optuna's gRPC storage proxy behind a token.

One proxy process holds at most ``connections`` connections to the database; every
controller, trial job and warm lane of the sweep talks to it instead of to the server, so
hundreds of them fit under PostgreSQL's default ``max_connections`` of 100. The proxy learns
the storage URL and a random token on its standard input (never on its command line, which
every user of the host can read), expands the URL's password itself, and refuses any call
without the token. Processes started after :func:`start_proxy` find the proxy in two
environment variables: :data:`PROXY_ENV` (which storage, and the address) and
:data:`TOKEN_ENV`.

The process that starts the proxy owns it: :meth:`RunningProxy.supervise` restarts a proxy
that ended without being stopped (``kill -9``, a crash) on the same address with the same
token, so its clients reconnect and their retried calls go through.

The proxy process itself is :mod:`sweeps.storage.proxy_server` (:data:`PROXY_MODULE`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optuna.storages import BaseStorage

from sweeps.storage.optuna_internals import grpc_proxy_client
from sweeps.storage.retry import RetryPolicy
from sweeps.storage.urls import backend_of, redact_url

PROXY_ENV = "SWEEPS_STORAGE_PROXY"
TOKEN_ENV = "SWEEPS_STORAGE_PROXY_TOKEN"
TOKEN_HEADER = "sweeps-proxy-token"
START_TIMEOUT_S = 60.0
SUPERVISE_EVERY_S = 0.2
# A client's channel tries a refused address again within this (gRPC's default backoff grows
# to two minutes, which would outlast a restart by far).
RECONNECT_BACKOFF_MS = (100, 1000)
# A call through a proxy that does not answer (stopped, stuck) ends after this, or sooner at
# the retry deadline, as DEADLINE_EXCEEDED, which the retry wrapper retries until its deadline.
CALL_TIMEOUT_S = 60.0
MIN_CONNECTIONS = 2
SOCKET_DIR_PREFIX = "sweeps-proxy-"
# Optuna's proxy serves RDB storages only (optuna/optuna#6084: no JournalStorage).
PROXY_MODULE = "sweeps.storage.proxy_server"
PROXIED_BACKENDS = frozenset({"sqlite", "postgresql", "mysql"})


class ProxyError(RuntimeError):
    """The proxy could not be started, or was asked for a storage it cannot serve."""


def _digest(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def grpc_installed() -> bool:
    """Whether this Python can run the proxy (the ``proxy`` extra)."""
    return importlib.util.find_spec("grpc") is not None


def proxy_target(url: str) -> str | None:
    """The gRPC address of this sweep's proxy for ``url`` (secrets unexpanded), else None."""
    value = os.environ.get(PROXY_ENV, "")
    digest, _, target = value.partition("@")
    return target if target and digest == _digest(url) else None


def connect(target: str, token: str) -> BaseStorage:
    """Optuna's ``GrpcStorageProxy`` for the proxy at ``target``, sending ``token``; each call
    waits at most :data:`CALL_TIMEOUT_S` (or the retry deadline, if shorter)."""
    import grpc

    timeout_s = min(CALL_TIMEOUT_S, RetryPolicy().deadline_s)

    class _WithToken(grpc.UnaryUnaryClientInterceptor):
        def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
            metadata = [*(details.metadata or ()), (TOKEN_HEADER, token)]
            timeout = details.timeout if details.timeout is not None else timeout_s
            return continuation(details._replace(metadata=metadata, timeout=timeout), request)

    first_ms, most_ms = RECONNECT_BACKOFF_MS
    options = [
        ("grpc.max_receive_message_length", -1),
        ("grpc.initial_reconnect_backoff_ms", first_ms),
        ("grpc.min_reconnect_backoff_ms", first_ms),
        ("grpc.max_reconnect_backoff_ms", most_ms),
    ]

    def channel() -> grpc.Channel:
        plain = grpc.insecure_channel(target, options=options)
        return grpc.intercept_channel(plain, _WithToken())

    return grpc_proxy_client(channel)


def connect_from_env(url: str) -> BaseStorage | None:
    """A client of the sweep's proxy when this process was told of one for ``url``."""
    target = proxy_target(url)
    if target is None:
        return None
    token = os.environ.get(TOKEN_ENV)
    if not token:
        raise ProxyError(f"{PROXY_ENV} names a storage proxy but {TOKEN_ENV} is not set")
    return connect(target, token)


def _tell(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def exit_cause(code: int) -> str:
    """A process's exit status in words: ``killed by signal 9 (SIGKILL)``, ``exit status 1``."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            return f"killed by signal {-code}"
        return f"killed by signal {-code} ({name})"
    return f"exit status {code}"


@dataclass
class RunningProxy:
    """A proxy process started by :func:`start_proxy`."""

    url: str
    address: str
    token: str
    process: subprocess.Popen[str]
    connections: int
    socket_dir: Path | None = None
    restarted: int = 0
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def environment(self) -> dict[str, str]:
        """The variables that send a process's storage calls for ``url`` to this proxy."""
        return {PROXY_ENV: f"{_digest(self.url)}@{self.address}", TOKEN_ENV: self.token}

    def describe(self) -> str:
        """One line for the user: what is proxied, where, with how many connections."""
        where = "a private Unix socket" if self.socket_dir else self.address
        return (
            f"storage proxy for {redact_url(self.url)} on {where}, "
            f"at most {self.connections} database connections"
        )

    def supervise(
        self,
        restarts: int,
        tell: Callable[[str], None] = _tell,
        on_lost: Callable[[], None] | None = None,
    ) -> threading.Thread:
        """Restart the proxy on its address each time it ends before :meth:`stop`, at most
        ``restarts`` times, telling one line each time; where it cannot come back, tell why in
        one line and call ``on_lost``. Runs in a daemon thread of this (the owning) process."""
        thread = threading.Thread(
            target=self._supervise,
            args=(restarts, tell, on_lost),
            daemon=True,
            name="sweeps-proxy-owner",
        )
        thread.start()
        return thread

    def _supervise(
        self, restarts: int, tell: Callable[[str], None], on_lost: Callable[[], None] | None
    ) -> None:
        where = "its Unix socket" if self.socket_dir else self.address
        while not self._stopping.wait(SUPERVISE_EVERY_S):
            with self._lock:
                code = self.process.poll()
                if self._stopping.is_set() or code is None:
                    continue
                cause, retry_s = exit_cause(code), RetryPolicy().deadline_s
                lost = f"storage proxy for {redact_url(self.url)} on {where} ended ({cause})"
                if self.restarted >= restarts:
                    tell(
                        f"error: {lost} and is not restarted (storage_proxy.restarts: "
                        f"{restarts}); storage calls give up within {retry_s:g} s"
                    )
                    break
                self.restarted += 1
                attempt = f"restart {self.restarted} of at most {restarts}"
                try:
                    self.process = _spawn(self.url, self.address, self.token, self.connections)[0]
                except ProxyError as err:  # e.g. killed while it started: the next round tries
                    tell(f"note: {lost}; {attempt} failed: {err}")
                    continue
                tell(f"note: {lost}; restarted on the same address ({attempt})")
                continue
        else:
            return
        if on_lost is not None:
            on_lost()

    def stop(self) -> None:
        """Stop the proxy (it finishes the calls in progress) and remove its socket."""
        self._stopping.set()
        with self._lock:
            self._stop_process()
        if self.socket_dir is not None:
            shutil.rmtree(self.socket_dir, ignore_errors=True)

    def _stop_process(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_proxy(url: str, host: str | None, connections: int) -> RunningProxy:
    """Start a proxy process for ``url`` holding at most ``connections`` database connections.

    ``host`` None: a Unix socket in a new directory only this user may enter (for trials on
    this host). Otherwise a TCP port on ``host`` (the submit host's address for trials on
    compute nodes). The proxy runs in its own session, so a Ctrl-C meant for the sweep leaves
    it serving the controllers that mark their trials for retry; it stops when the process
    that started it ends.
    """
    if backend_of(url) not in PROXIED_BACKENDS:
        raise ProxyError(
            f"storage_proxy: Optuna's gRPC proxy cannot serve {redact_url(url)!r} "
            f"(a {backend_of(url)} storage); use a database storage or storage_proxy: off"
        )
    if connections < MIN_CONNECTIONS:
        raise ProxyError(
            f"storage_proxy.connections: at least {MIN_CONNECTIONS}, got {connections} "
            "(opening Optuna's schema takes two at once)"
        )
    if not grpc_installed():
        raise ProxyError(
            "storage_proxy: the gRPC proxy needs grpcio and protobuf: "
            'pip install "hpc-sweeps[proxy]"'
        )
    socket_dir = None
    if host is None:
        socket_dir = Path(tempfile.mkdtemp(prefix=SOCKET_DIR_PREFIX))  # mode 0700
        bind = f"unix:{socket_dir / 'proxy.sock'}"
    else:
        bind = f"{host}:0"
    token = secrets.token_urlsafe(32)
    try:
        process, address = _spawn(url, bind, token, connections)
    except ProxyError:
        if socket_dir is not None:
            shutil.rmtree(socket_dir, ignore_errors=True)
        raise
    return RunningProxy(url, address, token, process, connections, socket_dir)


def _spawn(url: str, bind: str, token: str, connections: int) -> tuple[subprocess.Popen[str], str]:
    """Start a proxy process on ``bind``; return it and the address it listens on."""
    command = [sys.executable, "-m", PROXY_MODULE, "--bind", bind]
    command += ["--connections", str(connections), "--watch", str(os.getpid())]
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(json.dumps({"url": url, "token": token}) + "\n")
        process.stdin.close()
    except BrokenPipeError:  # it ended before it read its settings: it did not start
        line = ""
    else:
        ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT_S)
        line = process.stdout.readline().strip() if ready else ""
    if not line:
        process.kill()
        process.wait()
        raise ProxyError(
            f"the storage proxy for {redact_url(url)} did not start "
            f"({exit_cause(process.returncode)}; its error is printed above)"
        )
    return process, line


__all__ = [
    "PROXIED_BACKENDS",
    "PROXY_ENV",
    "TOKEN_ENV",
    "ProxyError",
    "RunningProxy",
    "connect",
    "connect_from_env",
    "exit_cause",
    "grpc_installed",
    "proxy_target",
    "start_proxy",
]
