"""A storage proxy that dies: its owner restarts it on the same address, or the storage calls
through it give up within the retry deadline in one line. Real proxy processes, killed with
SIGKILL, and real gRPC clients."""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

import optuna
import pytest
from support.processes import child_running

from sweeps.storage.proxy import PROXY_MODULE, RunningProxy, connect, start_proxy
from sweeps.storage.retry import RetryingStorage, RetryPolicy


def _kill(proxy: RunningProxy) -> int:
    pid = proxy.process.pid
    os.kill(pid, signal.SIGKILL)
    return pid


def _restarted(proxy: RunningProxy, pid: int, timeout_s: float = 30) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proxy.process.pid != pid and proxy.process.poll() is None:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("host", [None, "127.0.0.1"], ids=["unix-socket", "tcp"])
def test_a_killed_proxy_is_restarted_on_its_address_and_its_clients_carry_on(
    tmp_path: Path, host: str | None
) -> None:
    url = f"sqlite:///{tmp_path}/study.db"
    proxy = start_proxy(url, host, 2)
    told: list[str] = []
    lost: list[bool] = []
    proxy.supervise(3, tell=told.append, on_lost=lambda: lost.append(True))
    address = proxy.address
    try:
        client = RetryingStorage(connect(proxy.address, proxy.token), RetryPolicy(30))
        study = optuna.create_study(study_name="s", storage=client)
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        pid = _kill(proxy)
        assert _restarted(proxy, pid)
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        assert proxy.address == address
    finally:
        proxy.stop()
    direct = optuna.load_study(study_name="s", storage=url)
    assert [t.state for t in direct.trials] == [optuna.trial.TrialState.COMPLETE] * 4
    assert len(told) == 1 and not lost
    assert "ended (killed by signal 9 (SIGKILL)); restarted on the same address" in told[0]
    assert "(restart 1 of at most 3)" in told[0]


def _starting_proxy(old: int, timeout_s: float = 30) -> int | None:
    """The pid of a proxy process this process started other than ``old`` (one starting)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        pid = child_running(os.getpid(), PROXY_MODULE.encode(), other_than=old)
        if pid is not None:
            return pid
        time.sleep(0.005)
    return None


def test_a_proxy_killed_again_while_it_restarts_is_restarted_once_more(tmp_path: Path) -> None:
    """The restarted proxy killed before it serves (two kills in a row): that restart fails,
    one line says so, and the owner tries again within ``storage_proxy.restarts``."""
    url = f"sqlite:///{tmp_path}/study.db"
    proxy = start_proxy(url, "127.0.0.1", 2)
    told: list[str] = []
    lost: list[bool] = []
    proxy.supervise(3, tell=told.append, on_lost=lambda: lost.append(True))
    try:
        client = RetryingStorage(connect(proxy.address, proxy.token), RetryPolicy(30))
        study = optuna.create_study(study_name="s", storage=client)
        first = _kill(proxy)
        starting = _starting_proxy(first)
        assert starting is not None
        os.kill(starting, signal.SIGKILL)  # before it printed its address
        assert _restarted(proxy, first)
        assert proxy.process.pid != starting
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    finally:
        proxy.stop()
    assert not lost, told
    assert "restart 1 of at most 3 failed: the storage proxy for" in told[0], told
    assert "restarted on the same address (restart 2 of at most 3)" in told[1], told


def test_a_stopped_proxy_is_not_restarted(tmp_path: Path) -> None:
    proxy = start_proxy(f"sqlite:///{tmp_path}/study.db", None, 2)
    told: list[str] = []
    owner = proxy.supervise(3, tell=told.append)
    pid = proxy.process.pid
    proxy.stop()
    owner.join(timeout=5)
    assert not owner.is_alive() and proxy.process.pid == pid and not told


def test_without_restarts_a_storage_call_gives_up_within_the_retry_deadline_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """``storage_proxy.restarts: 0`` and ``SWEEPS_STORAGE_RETRY_S=3``: a call through the dead
    proxy raises within about 3 s; the log has at most one retry line and one give-up line,
    both one line, with the gRPC status and no debug string."""
    monkeypatch.setenv("SWEEPS_STORAGE_RETRY_S", "3")
    proxy = start_proxy(f"sqlite:///{tmp_path}/study.db", None, 2)
    told: list[str] = []
    lost: list[bool] = []
    proxy.supervise(0, tell=told.append, on_lost=lambda: lost.append(True))
    try:
        client = RetryingStorage(connect(proxy.address, proxy.token))
        study_id = client.create_new_study([optuna.study.StudyDirection.MINIMIZE], "s")
        trial_id = client.create_new_trial(study_id)
        _kill(proxy)
        deadline = time.monotonic() + 10
        while not lost and time.monotonic() < deadline:
            time.sleep(0.05)
        caplog.set_level(logging.WARNING, logger="sweeps.storage")
        start = time.monotonic()
        with pytest.raises(Exception, match="UNAVAILABLE"):
            client.set_trial_system_attr(trial_id, "beat", 1.0)
        took = time.monotonic() - start
    finally:
        proxy.stop()
    assert 2.5 <= took <= 3 + 2, took
    assert lost == [True]
    assert len(told) == 1
    assert told[0].startswith("error: storage proxy for sqlite:///")
    assert "ended (killed by signal 9 (SIGKILL)) and is not restarted" in told[0]
    assert "(storage_proxy.restarts: 0); storage calls give up within 3 s" in told[0]
    lines = [r.getMessage() for r in caplog.records if "set_trial_system_attr" in r.getMessage()]
    retries = [line for line in lines if "; retry " in line]
    gave_up = [line for line in lines if "gave up" in line]
    assert len(retries) <= 1 and len(gave_up) == 1, lines
    assert "storage set_trial_system_attr gave up after " in gave_up[0]
    assert "(deadline 3 s, SWEEPS_STORAGE_RETRY_S): gRPC UNAVAILABLE: " in gave_up[0]
    for line in lines:
        assert "\n" not in line and "debug_error_string" not in line, line


def test_a_call_through_a_stopped_proxy_gives_up_within_the_retry_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A proxy that is there but does not answer (SIGSTOP: stuck, or its host swapping): each
    call ends at its deadline and is retried; the whole call gives up within
    ``SWEEPS_STORAGE_RETRY_S`` with one line naming DEADLINE_EXCEEDED, instead of hanging."""
    monkeypatch.setenv("SWEEPS_STORAGE_RETRY_S", "3")
    proxy = start_proxy(f"sqlite:///{tmp_path}/study.db", "127.0.0.1", 2)
    try:
        client = RetryingStorage(connect(proxy.address, proxy.token))
        study_id = client.create_new_study([optuna.study.StudyDirection.MINIMIZE], "s")
        trial_id = client.create_new_trial(study_id)
        os.kill(proxy.process.pid, signal.SIGSTOP)
        caplog.set_level(logging.WARNING, logger="sweeps.storage")
        start = time.monotonic()
        with pytest.raises(Exception, match="DEADLINE_EXCEEDED"):
            client.set_trial_system_attr(trial_id, "beat", 1.0)
        took = time.monotonic() - start
    finally:
        os.kill(proxy.process.pid, signal.SIGCONT)
        proxy.stop()
    assert 2.5 <= took <= 3 + 4, took
    lines = [r.getMessage() for r in caplog.records if "gave up" in r.getMessage()]
    assert len(lines) == 1 and "gRPC DEADLINE_EXCEEDED" in lines[0], lines
