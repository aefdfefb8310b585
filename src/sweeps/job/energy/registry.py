"""Energy sources, best first, and the choice of one for this node."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from sweeps.job.energy import pm_counters, rapl
from sweeps.job.energy.amd import AmdSmiCounter
from sweeps.job.energy.counters import Counter, NotMeasurable
from sweeps.job.energy.nvml import NvmlCounter
from sweeps.job.energy.pm_counters import PmCounters
from sweeps.job.energy.rapl import RaplCounter

ROOT_VARS = {"pm_counters": "SWEEPS_PM_COUNTERS_ROOT", "rapl": "SWEEPS_RAPL_ROOT"}
"""Variables that point a sysfs reader at another tree (a fixture in the real file format)."""


def _root(source: str, default: Path) -> Path:
    return Path(os.environ.get(ROOT_VARS[source]) or default)


SOURCES: dict[str, Callable[[Sequence[int]], Counter]] = {
    "nvml": lambda gpus: NvmlCounter(gpus or None),
    "amdsmi": lambda gpus: AmdSmiCounter(gpus or None),
    "pm_counters": lambda gpus: PmCounters(gpus, _root("pm_counters", pm_counters.ROOT)),
    "rapl": lambda gpus: RaplCounter(_root("rapl", rapl.ROOT)),
}
"""GPU counters first when the trial has GPUs; node and CPU counters otherwise."""

GPU_SOURCES = ("nvml", "amdsmi")


def find_counter(gpus: Sequence[int] = (), sources: Sequence[str] | None = None) -> Counter:
    """The best source that works here for a trial on ``gpus`` (indices on the node).

    Raises NotMeasurable naming why each source was not usable.
    """
    names = list(sources or SOURCES)
    if not gpus:
        names = [n for n in names if n not in GPU_SOURCES]
    reasons = []
    for name in names:
        try:
            return SOURCES[name](gpus)
        except NotMeasurable as err:
            reasons.append(f"{name}: {err}")
    raise NotMeasurable("; ".join(reasons) or "no energy source")
