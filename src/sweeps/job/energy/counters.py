"""What every energy source is: a set of cumulative counters read in joules."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


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


def start_library(module: str, package: str, start: Callable[[Any], T]) -> tuple[Any, T]:
    """Import a vendor library and start it: ``(module, what start returned)``, or
    NotMeasurable saying which step failed."""
    try:
        library = importlib.import_module(module)
    except ImportError:
        raise NotMeasurable(f"{package} is not installed") from None
    try:
        return library, start(library)
    except Exception as err:
        raise NotMeasurable(f"{module} did not start: {err}") from None


def gpu_indices(devices: Sequence[int] | None, count: int, library: str) -> list[int]:
    """The GPUs a counter reads: those given, else every GPU ``library`` sees."""
    if count == 0:
        raise NotMeasurable(f"{library} sees no GPU")
    return list(devices) if devices is not None else list(range(count))
