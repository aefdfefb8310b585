"""The workflow's lane jobs: each runs its trial slots one after another.

A non-reproducible sweep is run by a fixed number of lane jobs, not one job per slot: lane
``k`` of ``L`` runs the slots ``s`` with ``s % L == k``. ``L`` is the number of trials in
flight, capped by the budget, and raised where needed so that no lane holds more than
:data:`MAX_SLOTS_PER_LANE` slots (Snakemake checks a requested receipt against every output of
the job that makes it, so the outputs per job are kept bounded).

The lane reuses what the first slot loaded (the study, its cache, the imports), so each later
slot costs what a warm controller costs. Where trials are handed over ahead (warm mode), the
next slot's controller starts its trial while the current one runs. A slot whose controller
stops does not stop the lane: the lane says so in one line, goes on with its next slot, and
fails at the end. An interrupt, or a sweep stopped on same-cause failures, ends the lane at
once.
"""

from __future__ import annotations

import math
import sys
import threading
from pathlib import Path

from sweeps.controller.interrupt import STOP, sigterm_as_interrupt
from sweeps.controller.progress import report_slot
from sweeps.controller.slot import run_slot
from sweeps.controller.stopped import ControllerStopped
from sweeps.controller.streak import SweepStopped
from sweeps.run.strategies import strategy_for
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
    :class:`LaneFailed` after the last slot when any slot's controller stopped.

    Where the strategy hands trials over ahead (:meth:`Strategy.trials_ahead`), that many more
    slot controllers run at once as threads: each starts its slot's trial while the others
    wait for theirs, so a freed lane finds the next trial ready."""
    run = _LaneRun(spec, lane_slots(lane, lanes, spec.budget.n_trials), log, force)
    strategy = strategy_for(spec)
    controllers = 1 + strategy.trials_ahead(spec)
    if controllers == 1:
        run.work()
    else:
        run.overlapped(controllers)
    if all(run.paths.trial_receipt(slot).exists() for slot in range(spec.budget.n_trials)):
        strategy.sweep_done(spec)  # this lane ended the sweep's last slot
    if run.stopped_at is not None:
        raise LaneFailed(f"lane {lane}: the sweep stopped at slot {run.stopped_at}")
    if run.failed:
        listed = ", ".join(map(str, sorted(run.failed)))
        raise LaneFailed(f"lane {lane}: {len(run.failed)} slot(s) did not finish: {listed}")


class _LaneRun:
    """A lane's slots, taken in order by one or more controllers."""

    def __init__(self, spec: SweepSpec, slots: range, log: Path | None, force: bool) -> None:
        self.spec, self.log, self.force = spec, log, force
        self.paths = SweepPaths.of(spec)
        self.failed: list[int] = []
        self.stopped_at: int | None = None
        self._slots = iter(slots)
        self._lock = threading.Lock()
        self._quit = threading.Event()  # the sweep stopped, or a controller raised
        self._raised: BaseException | None = None

    def _next_slot(self) -> int | None:
        with self._lock:
            return None if self._quit.is_set() else next(self._slots, None)

    def work(self) -> None:
        """Run slots until none is left; a controller's interrupt or error propagates."""
        while (slot := self._next_slot()) is not None:
            if STOP.is_set():
                raise KeyboardInterrupt
            try:
                receipt_path = self.paths.trial_receipt(slot)
                receipt = run_slot(self.spec, slot, receipt_path, force=self.force)
            except SweepStopped as err:  # every later slot would be refused as well
                _say(self.log, f"sweeps lane: slot {slot}: {err}")
                with self._lock:
                    self._quit.set()
                    if self.stopped_at is None or slot < self.stopped_at:
                        self.stopped_at = slot
                return
            except (ControllerStopped, OSError) as err:  # the traceback is in the trial's log
                _say(self.log, f"sweeps lane: slot {slot}: {err}")
                with self._lock:
                    self.failed.append(slot)
            else:
                report_slot(self.spec, receipt, self.log)

    def overlapped(self, controllers: int) -> None:
        """Run ``controllers`` of :meth:`work` as threads. An interrupt of this thread (Ctrl-C,
        or SIGTERM in a lane process) sets :data:`STOP`: each controller cancels its trial and
        marks it for retry, then the interrupt goes on."""
        threads = [
            threading.Thread(target=self._guarded, name=f"sweeps-lane-controller-{i}")
            for i in range(controllers)
        ]
        for thread in threads:
            thread.start()
        try:
            with sigterm_as_interrupt():
                for thread in threads:
                    while thread.is_alive():
                        thread.join(0.2)
        except KeyboardInterrupt:
            STOP.set()
            for thread in threads:
                thread.join()
            raise
        if self._raised is not None:
            raise self._raised

    def _guarded(self) -> None:
        try:
            self.work()
        except BaseException as err:  # handed to the lane's thread, which raises it
            with self._lock:
                self._quit.set()
                if self._raised is None or isinstance(err, KeyboardInterrupt):
                    self._raised = err


def _say(log: Path | None, line: str) -> None:
    """A line for the terminal and, when given, the lane's log."""
    print(line, file=sys.stderr, flush=True)
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as out:
            out.write(line + "\n")
