"""The storage proxy: a real proxy process on SQLite and PostgreSQL, real gRPC clients."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import grpc
import optuna
import pytest
from support.databases import PASSWORD_ENV, Server

from sweeps.storage.open import close_storage, open_storage
from sweeps.storage.proxy import (
    PROXY_ENV,
    TOKEN_ENV,
    ProxyError,
    RunningProxy,
    connect,
    proxy_target,
    start_proxy,
)


def _sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/study.db"


def _ended(proxy: RunningProxy, timeout_s: float = 15) -> bool:
    deadline = time.monotonic() + timeout_s
    while proxy.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    return proxy.process.poll() is not None


def test_trials_told_through_the_proxy_land_in_the_database(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    proxy = start_proxy(url, None, 2)
    try:
        study = optuna.create_study(study_name="s", storage=connect(proxy.address, proxy.token))
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        told = [t.params for t in study.trials]
    finally:
        proxy.stop()
    direct = optuna.load_study(study_name="s", storage=url)
    assert [t.state for t in direct.trials] == [optuna.trial.TrialState.COMPLETE] * 3
    assert [t.params for t in direct.trials] == told


def test_a_local_proxy_listens_on_a_socket_only_its_user_can_reach(tmp_path: Path) -> None:
    proxy = start_proxy(_sqlite(tmp_path), None, 2)
    try:
        assert proxy.address.startswith("unix:")
        socket_dir = Path(proxy.address.removeprefix("unix:")).parent
        assert stat.S_IMODE(socket_dir.stat().st_mode) == 0o700
    finally:
        proxy.stop()
    assert _ended(proxy)
    assert not socket_dir.exists()


@pytest.mark.parametrize("token", ["", "not-the-token"])
def test_a_call_without_the_token_is_refused(tmp_path: Path, token: str) -> None:
    proxy = start_proxy(_sqlite(tmp_path), "127.0.0.1", 2)
    try:
        assert proxy.address.startswith("127.0.0.1:")
        with pytest.raises(grpc.RpcError) as refused:
            connect(proxy.address, token).get_all_studies()
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.RpcError):
            optuna.create_study(study_name="s", storage=connect(proxy.address, token))
        assert connect(proxy.address, proxy.token).get_all_studies() == []
    finally:
        proxy.stop()


def test_neither_url_nor_token_is_on_the_proxy_command_line(tmp_path: Path) -> None:
    """Every user of a login node can read a process's command line."""
    url = _sqlite(tmp_path)
    proxy = start_proxy(url, None, 2)
    try:
        command = Path(f"/proc/{proxy.process.pid}/cmdline").read_bytes().decode()
    finally:
        proxy.stop()
    assert proxy.token not in command
    assert str(tmp_path) not in command


def test_fewer_than_two_connections_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ProxyError, match=r"storage_proxy\.connections: at least 2, got 1"):
        start_proxy(_sqlite(tmp_path), None, 1)


def test_a_proxy_that_ends_before_it_reads_its_settings_did_not_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether it ended before or after its settings were written, the start fails in one
    error, never a broken pipe (a proxy killed while its owner restarts it)."""
    monkeypatch.setattr(sys, "executable", "/bin/false")
    for _ in range(20):
        with pytest.raises(ProxyError, match="did not start"):
            start_proxy(_sqlite(tmp_path), None, 2)


def test_a_journal_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ProxyError, match="journal storage"):
        start_proxy(f"journal:///{tmp_path}/study.log", None, 2)


def test_the_proxy_ends_with_the_process_that_started_it(tmp_path: Path) -> None:
    """A sweep killed with SIGKILL leaves no proxy behind."""
    code = (
        "import os, sys; from sweeps.storage.proxy import start_proxy; "
        f"p = start_proxy({_sqlite(tmp_path)!r}, None, 2); "
        "print(p.process.pid, p.socket_dir, flush=True); "
        "os._exit(0)"
    )
    started = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    pid = int(started.stdout.split()[0])
    deadline = time.monotonic() + 15
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    status = Path(f"/proc/{pid}/status")
    assert not status.exists() or "zombie" in status.read_text()
    assert not Path(started.stdout.split()[1]).exists()  # nor its socket's directory


def test_open_storage_goes_through_the_proxy_only_for_the_storage_it_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served, other = _sqlite(tmp_path), f"sqlite:///{tmp_path}/other.db"
    proxy = start_proxy(served, None, 2)
    try:
        for key, value in proxy.environment().items():
            monkeypatch.setenv(key, value)
        assert proxy_target(served) == proxy.address
        assert proxy_target(other) is None
        close_storage()
        assert type(open_storage(served).backend).__name__ == "_Client"
        assert type(open_storage(other).backend).__name__ != "_Client"
        monkeypatch.delenv(TOKEN_ENV)
        close_storage()
        with pytest.raises(ProxyError, match=TOKEN_ENV):
            open_storage(served)
    finally:
        close_storage()
        proxy.stop()


def test_trial_processes_need_no_password_behind_the_proxy(
    servers: dict[str, Server | str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proxy expands the password; a process that uses it has none in its environment."""
    server = servers["postgresql"]
    if isinstance(server, str):
        pytest.skip(server)
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    url = server.url()
    proxy = start_proxy(url, None, 2)
    try:
        env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
        env.update(proxy.environment())
        code = (
            "import optuna; from sweeps.storage.open import open_storage; "
            f"s = optuna.create_study(study_name='nopw', storage=open_storage({url!r})); "
            "s.optimize(lambda t: t.suggest_float('x', 0, 1), n_trials=2); print(len(s.trials))"
        )
        ran = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
        )
    finally:
        proxy.stop()
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "2"
    assert server.password not in ran.stdout + ran.stderr
    assert PROXY_ENV in env


def test_a_proxy_for_compute_nodes_listens_on_the_host_name_behind_the_token(
    tmp_path: Path,
) -> None:
    """The address Slurm jobs get: this host's name and a free port."""
    import socket

    host = socket.gethostname()
    proxy = start_proxy(_sqlite(tmp_path), host, 2)
    try:
        assert proxy.address.startswith(f"{host}:")
        assert proxy.socket_dir is None
        assert connect(proxy.address, proxy.token).get_all_studies() == []
        with pytest.raises(grpc.RpcError):
            connect(proxy.address, "").get_all_studies()
    finally:
        proxy.stop()
