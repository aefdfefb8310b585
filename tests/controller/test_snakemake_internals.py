"""The adapter over Snakemake's private API: what each patch changes in Snakemake itself."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from snakemake.scheduling.job_scheduler import JobScheduler

from sweeps.controller.snakemake_internals import exit_once_done


def test_the_schedulers_look_again_timers_do_not_hold_up_the_exit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Snakemake's own method starts a non-daemon timer (the interpreter would wait for it at
    exit); patched, the timer is a daemon and still releases the scheduler when it fires."""
    monkeypatch.setattr(
        JobScheduler, "_schedule_reevalutation", JobScheduler._schedule_reevalutation
    )
    scheduler = SimpleNamespace(_open_jobs=threading.Semaphore(0))
    before = set(threading.enumerate())
    JobScheduler._schedule_reevalutation(scheduler, 0.3)  # type: ignore[arg-type]
    (original,) = set(threading.enumerate()) - before
    assert not original.daemon
    assert scheduler._open_jobs.acquire(timeout=5)

    exit_once_done()
    before = set(threading.enumerate())
    JobScheduler._schedule_reevalutation(scheduler, 0.3)  # type: ignore[arg-type]
    (patched,) = set(threading.enumerate()) - before
    assert patched.daemon
    assert scheduler._open_jobs.acquire(timeout=5)  # it still looks again
