"""Interrupts: Ctrl-C and SIGTERM stop a controller, which cancels its work before it exits.

When trial controllers run as threads of the Snakemake process, Ctrl-C reaches only the main
thread. :func:`relay_sigint` makes SIGINT also set :data:`STOP`, which every controller's wait
loop watches: each cancels its job, marks its trial for retry and returns. A controller running
as the main thread of its own process turns SIGTERM (Snakemake's, Slurm's) into the same.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

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


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt (main thread only: signal handlers
    belong to it; controller threads watch :data:`STOP` instead)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
