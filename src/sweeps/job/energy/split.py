"""Packed lanes share a GPU: split its energy among trials by their overlap in time."""

from __future__ import annotations

import itertools
from collections.abc import Mapping


def split_by_overlap(
    joules: float, window: tuple[float, float], trials: Mapping[int, tuple[float, float]]
) -> dict[int, float]:
    """Each trial's share of ``joules`` measured over ``window`` (start, end in seconds).

    Time is cut where a trial starts or ends; each piece's energy (pro rata of its length) goes
    to the trials running in it in equal parts. Pieces where no trial ran are not charged to
    any trial (they are the worker's idle overhead).
    """
    start, end = window
    if end <= start:
        return dict.fromkeys(trials, 0.0)
    cuts = sorted({start, end, *(t for span in trials.values() for t in span if start < t < end)})
    shares = dict.fromkeys(trials, 0.0)
    for left, right in itertools.pairwise(cuts):
        running = [n for n, (a, b) in trials.items() if a < right and b > left]
        for number in running:
            shares[number] += joules * (right - left) / (end - start) / len(running)
    return shares
