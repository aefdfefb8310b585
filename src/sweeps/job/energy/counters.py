"""What every energy source is: a set of cumulative counters read in joules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class NotMeasurable(Exception):
    """This node offers no reading for this source; the message says why."""


@dataclass(frozen=True)
class Reading:
    """Cumulative joules per component (``gpu0``, ``cpu``, ``node`` ...) at one moment."""

    joules: dict[str, float]
    wraps_at: dict[str, float] = field(default_factory=dict)
    """Components whose counter wraps: the joules at which it restarts from zero."""


class Counter(Protocol):
    """One source of energy counters (NVML, amdsmi, Cray pm_counters, RAPL)."""

    name: str

    def read(self) -> Reading:
        """The counters now; raises NotMeasurable when they cannot be read."""
        ...
