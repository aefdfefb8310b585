"""Energy a trial used, read from the best counter the node offers (docs/cost.md)."""

from sweeps.job.energy.counters import Counter, NotMeasurable, Reading
from sweeps.job.energy.meter import Energy, EnergyMeter
from sweeps.job.energy.registry import SOURCES, find_counter
from sweeps.job.energy.split import split_by_overlap

__all__ = [
    "SOURCES",
    "Counter",
    "Energy",
    "EnergyMeter",
    "NotMeasurable",
    "Reading",
    "find_counter",
    "split_by_overlap",
]
