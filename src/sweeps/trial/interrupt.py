"""Interrupts for controllers running as threads (threads cannot receive signals themselves).

When trial controllers run as threads of the Snakemake process, Ctrl-C reaches only the main
thread. :func:`relay_sigint` makes SIGINT also set :data:`STOP`, which every controller's wait
loop watches: each cancels its job, marks its trial for retry and returns.
"""

from __future__ import annotations

import signal
import threading
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
