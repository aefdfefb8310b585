"""Fail fast: a run stops when ``budget.max_consecutive_failures`` trials in a row fail with
the same cause (an objective that cannot be imported in the trials' container, say).

The controller whose trial completes the streak records the stop in the study and prints the
cause; every other controller of the same run cancels its trial's work (marked for a retry)
or starts none, and prints one short line. The streak's failures are not counted against
``n_trials`` (``budget.count_failed: false``, the default): a later run, after the fix, runs
their slots again. Its streak counts only trials that end after the stop.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from sweeps.controller.budget import look_again
from sweeps.controller.interrupt import STOP
from sweeps.controller.stopped import ControllerStopped
from sweeps.spec import SweepSpec
from sweeps.storage.mutex import storage_mutex
from sweeps.study.background import BackgroundLoop
from sweeps.study.controllers import this_run
from sweeps.study.keys import Key
from sweeps.study.slots import uncounted
from sweeps.study.spending import BudgetState
from sweeps.study.streak import StopRecord, cause_of, current_streak, read_stop, record_stop

WATCH_INTERVAL_S = 5.0  # how often a waiting controller looks for a stop (one small read)


class SweepStopped(ControllerStopped):
    """This run stopped on a streak of same-cause failures; the message is one line."""


def stop_message(record: StopRecord, none_succeeded: bool = False) -> str:
    """What the controller that stopped the run prints, once (``none_succeeded``: no trial of
    the sweep has completed yet)."""
    numbers = ", ".join(str(n) for n in record.trials)
    none = "; no trial of the sweep has succeeded yet" if none_succeeded else ""
    return (
        f"sweep stopped: {len(record.trials)} trials in a row failed with the same cause: "
        f"{record.cause} (trials {numbers}){none}; fix it and run again — finished trials "
        "are kept"
    )


def stopped_line(done: str) -> str:
    """What every other controller of the stopped run prints (the cause is printed once)."""
    return f"sweep stopped (same-cause failures, see 'sweep stopped:' above); {done}"


def stop_of_this_run(user_attrs: Mapping[str, Any]) -> StopRecord | None:
    """The study's stop (from its user attributes), when this run recorded it."""
    record = read_stop(user_attrs)
    return record if record is not None and record.run == this_run() else None


def refuse_if_stopped(user_attrs: Mapping[str, Any]) -> None:
    """Raise :class:`SweepStopped` when this run has stopped (the study's user attributes
    say so): no new trial starts."""
    if stop_of_this_run(user_attrs) is not None:
        raise SweepStopped(stopped_line("no trial started"))


def check_streak(spec: SweepSpec, study: optuna.Study, trial: FrozenTrial) -> None:
    """After ``trial`` was told: stop the run (raise :class:`SweepStopped`) when it completes a
    streak of ``budget.max_consecutive_failures`` same-cause failures, or when this run has
    already stopped."""
    limit = spec.budget.max_consecutive_failures
    if not limit or trial.state != TrialState.FAIL or trial.system_attrs.get(Key.RETRYABLE):
        return
    with storage_mutex(spec.storage_url, f"study:{spec.study}:stop"):  # one controller trips it
        record = read_stop(study.user_attrs)
        if record is not None and record.run == this_run():
            trials = study.get_trials(deepcopy=False)
            last = next((t for t in trials if t.number == record.trials[-1]), None)
            if last is not None and cause_of(last) == cause_of(trial):
                _uncount(spec, study, [trial])
            raise SweepStopped(stopped_line(f"trial {trial.number} failed too"))
        trials = study.get_trials(deepcopy=False)
        streak = current_streak(trials, after=record.after if record else None)
        if streak is None or len(streak.trials) < limit:
            return
        record = StopRecord.of(streak, this_run())
        record_stop(study, record)
        _uncount(spec, study, streak.trials)
    none_succeeded = not any(t.state == TrialState.COMPLETE for t in trials)
    raise SweepStopped(stop_message(record, none_succeeded))


def _uncount(spec: SweepSpec, study: optuna.Study, trials: list[FrozenTrial]) -> None:
    """Failures of the cause the run stopped on are not their parameters' fault: unless
    ``budget.count_failed``, they do not use up ``n_trials``, and the next run runs their
    slots again (with the same parameters)."""
    if spec.budget.count_failed:
        return
    numbers = uncounted(study.user_attrs) | {t.number for t in trials}
    study.set_user_attr(Key.UNCOUNTED, json.dumps(sorted(numbers)))
    look_again(spec, (int(t.system_attrs[Key.SLOT]) for t in trials))


class StopWatch(BackgroundLoop):
    """While a trial runs: an event set on Ctrl-C (:data:`STOP`), once this run stops, or once
    ``spent`` names a spent budget; :attr:`stopped` and :attr:`spent` then tell which."""

    def __init__(
        self,
        study: optuna.Study,
        interval_s: float = WATCH_INTERVAL_S,
        spent: Callable[[], BudgetState | None] | None = None,
    ) -> None:
        self.study, self.interval_s = study, interval_s
        self.event = threading.Event()
        self.stopped: StopRecord | None = None
        self.spent: BudgetState | None = None
        self._spent_check = spent
        super().__init__("sweeps-stop-watch")

    def run(self) -> None:
        ticks = max(1, round(self.interval_s / 0.1))
        tick = 0
        while not self.done.wait(0.1 if tick else 0):
            if STOP.is_set():
                self.event.set()
                return
            if tick % ticks == 0:
                with contextlib.suppress(Exception):  # a storage hiccup: look again later
                    self.stopped = stop_of_this_run(self.study.user_attrs)
                    if self._spent_check is not None and self.stopped is None:
                        self.spent = self._spent_check()
                if self.stopped is not None or self.spent is not None:
                    self.event.set()
                    return
            tick += 1
