"""Which trial slots each Snakemake lane job runs.

A non-reproducible sweep is run by a fixed number of lane jobs, not one job per slot: lane
``k`` of ``L`` runs the slots ``s`` with ``s % L == k``, one after another, in one controller.
``L`` is the number of trials in flight, capped by the budget, and raised where needed so that
no lane holds more than :data:`MAX_SLOTS_PER_LANE` slots (Snakemake checks a requested receipt
against every output of the job that makes it, so the outputs per job are kept bounded).
"""

from __future__ import annotations

import math

MAX_SLOTS_PER_LANE = 64


def lane_count(n_trials: int, in_flight: int) -> int:
    """How many lane jobs run a sweep of ``n_trials`` slots with ``in_flight`` trials at once."""
    if n_trials < 1 or in_flight < 1:
        raise ValueError(f"need n_trials >= 1 and in_flight >= 1, got {n_trials}, {in_flight}")
    return min(n_trials, max(in_flight, math.ceil(n_trials / MAX_SLOTS_PER_LANE)))


def lane_slots(lane: int, lanes: int, n_trials: int) -> range:
    """The slots lane ``lane`` of ``lanes`` runs, in the order it runs them."""
    if not 0 <= lane < lanes:
        raise ValueError(f"lane {lane} is outside 0..{lanes - 1}")
    return range(lane, n_trials, lanes)
