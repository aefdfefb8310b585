"""The workflow's lane jobs: each runs its trial slots one after another in one controller.

A non-reproducible sweep is run by a fixed number of lane jobs, not one job per slot: lane
``k`` of ``L`` runs the slots ``s`` with ``s % L == k``. ``L`` is the number of trials in
flight, capped by the budget, and raised where needed so that no lane holds more than
:data:`MAX_SLOTS_PER_LANE` slots (Snakemake checks a requested receipt against every output of
the job that makes it, so the outputs per job are kept bounded).

The lane reuses what the first slot loaded (the study, its cache, the imports), so each later
slot costs what a warm controller costs. A slot whose controller stops does not stop the lane:
the lane says so in one line, goes on with its next slot, and fails at the end. An interrupt,
or a sweep stopped on same-cause failures, ends the lane at once.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from sweeps.controller.interrupt import STOP
from sweeps.controller.progress import report_slot
from sweeps.controller.slot import run_slot
from sweeps.controller.stopped import ControllerStopped
from sweeps.controller.streak import SweepStopped
from sweeps.spec import SweepSpec
from sweeps.spec.paths import SweepPaths

MAX_SLOTS_PER_LANE = 64


class LaneFailed(Exception):
    """Some of the lane's slots did not end with a receipt; the message names them."""


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


def run_lane_job(
    spec: SweepSpec, lane: int, lanes: int, log: Path | None = None, force: bool = False
) -> None:
    """What the workflow's lane rule runs, as a process (`sweeps lane`) or a thread. Raises
    :class:`LaneFailed` after the last slot when any slot's controller stopped."""
    paths = SweepPaths.of(spec)
    failed: list[int] = []
    for slot in lane_slots(lane, lanes, spec.budget.n_trials):
        if STOP.is_set():
            raise KeyboardInterrupt
        try:
            receipt = run_slot(spec, slot, paths.trial_receipt(slot), force=force)
        except SweepStopped as err:  # every later slot would be refused as well
            _say(log, f"sweeps lane: slot {slot}: {err}")
            raise LaneFailed(f"lane {lane}: the sweep stopped at slot {slot}") from None
        except (ControllerStopped, OSError) as err:  # the traceback is in the trial's log
            _say(log, f"sweeps lane: slot {slot}: {err}")
            failed.append(slot)
        else:
            report_slot(spec, receipt, log)
    if failed:
        listed = ", ".join(map(str, failed))
        raise LaneFailed(f"lane {lane}: {len(failed)} slot(s) did not finish: {listed}")


def _say(log: Path | None, line: str) -> None:
    """A line for the terminal and, when given, the lane's log."""
    print(line, file=sys.stderr, flush=True)
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as out:
            out.write(line + "\n")
