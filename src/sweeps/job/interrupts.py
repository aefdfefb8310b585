"""An interrupt from outside the trial ends its attempt as lost, never as its parameters' fault.

A Ctrl-C at a terminal reaches every process of the sweep's group, trials included, also when
``snakemake`` itself ignores it (started as a background job of a script). Whatever the
objective then does (dies of ``KeyboardInterrupt``, or catches it and returns a partial
result), the attempt ends as a retryable failure, and its slot runs it again.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from sweeps.job.task import TrialOutcome

INTERRUPTED = "interrupted by {name} from outside the trial; the attempt is retried"


@contextmanager
def noting_interrupts() -> Iterator[list[str]]:
    """Note each SIGINT this process gets while the block runs (then act on it as before:
    ``KeyboardInterrupt``). Yields the names of the signals seen. Only the main thread can
    catch signals: elsewhere, and where SIGINT is ignored, nothing is noted."""
    seen: list[str] = []
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous == signal.SIG_IGN:
        yield seen
        return

    def note(signum: int, frame: FrameType | None) -> None:
        seen.append(signal.Signals(signum).name)
        if callable(previous):
            previous(signum, frame)
        else:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, note)
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous)


def interrupted(name: str = "SIGINT") -> TrialOutcome:
    """The outcome of an attempt an outside interrupt stopped."""
    return TrialOutcome("fail", reason=INTERRUPTED.format(name=name), retryable=True)
