"""Energy over a span of time: a reading at start and stop, plus a slow sampler for wraps."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sweeps.job.energy.counters import Counter, NotMeasurable, Reading

WRAP_SAMPLE_S = 30.0
"""How often a wrapping counter is read in between: well under its shortest wrap period
(RAPL's 262 kJ range lasts over 10 minutes at 400 W)."""


@dataclass(frozen=True)
class Energy:
    """Joules per component between start and stop, and where they were read."""

    source: str
    joules: dict[str, float]
    seconds: float

    @property
    def total_j(self) -> float:
        """All components (for Cray, ``node`` already contains the others: use it alone)."""
        if "node" in self.joules:
            return self.joules["node"]
        return sum(self.joules.values())

    @property
    def wh(self) -> float:
        return self.total_j / 3600.0


class EnergyMeter:
    """``start()`` then ``stop()`` around a trial; costs two counter reads (and, only where a
    counter can wrap, one more read every WRAP_SAMPLE_S on a background thread)."""

    def __init__(self, counter: Counter, sample_s: float = WRAP_SAMPLE_S) -> None:
        self.counter = counter
        self.sample_s = sample_s
        self._last: Reading | None = None
        self._total: dict[str, float] = {}
        self._started = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: NotMeasurable | None = None

    def start(self) -> None:
        self._last = self.counter.read()
        self._total = dict.fromkeys(self._last.joules, 0.0)
        self._started = time.monotonic()
        if self._last.wraps_at:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()

    def stop(self) -> Energy:
        """The energy since ``start``; raises NotMeasurable if a counter misbehaved."""
        if self._last is None:
            raise RuntimeError("EnergyMeter.stop() before start()")
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._accumulate()
        if self._error is not None:
            raise self._error
        return Energy(self.counter.name, dict(self._total), time.monotonic() - self._started)

    def _sample(self) -> None:
        while not self._stop.wait(self.sample_s):
            self._accumulate()

    def _accumulate(self) -> None:
        with self._lock:
            try:
                now = self.counter.read()
            except NotMeasurable as err:
                self._error = err
                return
            assert self._last is not None
            for key, before in self._last.joules.items():
                delta = now.joules.get(key, before) - before
                if delta < 0:
                    wrap = now.wraps_at.get(key)
                    if wrap is None:
                        self._error = NotMeasurable(
                            f"{self.counter.name} counter {key} went backwards ({before} -> "
                            f"{now.joules[key]} J): reset during the trial"
                        )
                        return
                    delta += wrap
                self._total[key] += delta
            self._last = now
