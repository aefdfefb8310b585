"""Interrupts: Ctrl-C, SIGTERM and SIGHUP stop a controller, which cancels its work first.

When trial controllers run as threads of the Snakemake process, Ctrl-C reaches only the main
thread. :func:`relay_sigint` makes SIGINT also set :data:`STOP`, which every controller's wait
loop watches: each cancels its job, marks its trial for retry and returns. A controller running
as the main thread of its own process turns SIGTERM (Snakemake's, Slurm's) and SIGHUP (a closed
ssh session) into the same. :func:`stop_sweep_on_termination` makes ``snakemake`` itself stop
the sweep on SIGTERM and SIGHUP as it does on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

import psutil

STOP = threading.Event()


def relay_sigint() -> None:
    """Set :data:`STOP` on SIGINT, then run the handler that was installed before."""
    previous: Any = signal.getsignal(signal.SIGINT)

    def handler(signum: int, frame: FrameType | None) -> None:
        STOP.set()
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)


TERMINATIONS = (signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise KeyboardInterrupt (main thread only: signal
    handlers belong to it; controller threads watch :data:`STOP` instead)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {signum: signal.signal(signum, _raise) for signum in TERMINATIONS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def stop_sweep_on_termination() -> None:
    """In the ``snakemake`` process (its main thread): SIGTERM and SIGHUP stop the sweep as a
    terminal's Ctrl-C does, whatever SIGINT's disposition.

    Snakemake takes SIGTERM as "finish the running jobs, then exit", and a sweep's jobs are
    lanes that run trial after trial, so the sweep would go on; SIGHUP would kill Snakemake
    and leave its lanes running. Instead every process Snakemake started (lane controllers,
    trials) gets SIGTERM, which a controller takes as an interrupt (it cancels its trial and
    leaves it retryable), and Snakemake's main thread gets ``KeyboardInterrupt``."""
    from sweeps.controller.snakemake_internals import on_graceful_exit
    from sweeps.storage.proxy import PROXY_MODULE

    def stop(signum: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
        STOP.set()
        for child in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if PROXY_MODULE not in child.cmdline():  # serves the controllers to the end
                    child.send_signal(signal.SIGTERM)
        raise KeyboardInterrupt

    on_graceful_exit(stop)
    signal.signal(signal.SIGHUP, stop)
    signal.signal(signal.SIGTERM, stop)  # until the scheduler installs its own (then: stop)
