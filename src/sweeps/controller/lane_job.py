"""One Snakemake lane job: run its trial slots one after another in one controller.

The lane reuses what the first slot loaded (the study, its cache, the imports), so each later
slot costs what a warm controller costs. A slot whose controller stops does not stop the lane:
the lane says so in one line, goes on with its next slot, and fails at the end. An interrupt,
or a sweep stopped on same-cause failures, ends the lane at once.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sweeps.controller.interrupt import STOP
from sweeps.controller.slot_job import run_slot_job
from sweeps.controller.slot_lanes import lane_slots
from sweeps.controller.stopped import ControllerStopped
from sweeps.controller.streak import SweepStopped
from sweeps.spec import SweepSpec
from sweeps.spec.paths import SweepPaths


class LaneFailed(Exception):
    """Some of the lane's slots did not end with a receipt; the message names them."""


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
            run_slot_job(spec, slot, paths.trial_receipt(slot), log=log, force=force)
        except SweepStopped as err:  # every later slot would be refused as well
            _say(log, f"sweeps lane: slot {slot}: {err}")
            raise LaneFailed(f"lane {lane}: the sweep stopped at slot {slot}") from None
        except (ControllerStopped, OSError) as err:  # the traceback is in the trial's log
            _say(log, f"sweeps lane: slot {slot}: {err}")
            failed.append(slot)
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
