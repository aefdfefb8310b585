"""A daemon thread that runs while a ``with`` block does: heartbeats, stop watches."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Self


class BackgroundLoop:
    """Runs :meth:`run` in a daemon thread from ``__enter__`` until ``__exit__`` sets
    :attr:`done` (the loop waits on it), then joins the thread for ``join_s`` at most."""

    def __init__(self, name: str, join_s: float = 5.0) -> None:
        self.done = threading.Event()
        self.join_s = join_s
        self._thread = threading.Thread(target=self.run, name=name, daemon=True)

    def run(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.done.set()
        self._thread.join(timeout=self.join_s)
