"""The one place that reaches into Snakemake's private API (checked with Snakemake 9)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def on_graceful_exit(stop: Callable[[], None]) -> None:
    """Run ``stop`` where Snakemake's scheduler would take SIGTERM as "finish the running jobs,
    then exit" (``JobScheduler.exit_gracefully``, which its ``__init__`` installs as the SIGTERM
    handler)."""
    from snakemake.scheduling.job_scheduler import JobScheduler

    def exit_now(self: Any, *args: Any) -> None:
        stop()

    JobScheduler.exit_gracefully = exit_now


def verbose_shows_everything(workflow: Any) -> None:
    """Under ``snakemake --verbose``, show what the profiles' ``quiet:`` leaves out (the
    per-job blocks, the step counts): Snakemake's log filters hold the run's set of quiet
    categories (``OutputSettings.quiet``) itself, so emptying it takes effect at once."""
    settings = workflow.output_settings
    if settings.verbose and isinstance(settings.quiet, set):
        settings.quiet.clear()


def exit_once_done() -> None:
    """Let ``snakemake`` exit as soon as its last job ended: its scheduler starts a
    ``threading.Timer`` each round to look again after the rate limiter's timespan
    (``JobScheduler._schedule_reevalutation``, 1 s by default), and the interpreter waits for
    those timers at exit. Started as daemon threads, they no longer hold it up."""
    from snakemake.scheduling.job_scheduler import JobScheduler

    def look_again_later(self: Any, delay: float) -> None:
        timer = threading.Timer(delay, self._open_jobs.release)
        timer.daemon = True
        timer.start()

    JobScheduler._schedule_reevalutation = look_again_later
