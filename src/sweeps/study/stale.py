"""Heartbeats and stale trials: a trial whose controller died must not stay RUNNING.

Optuna's own heartbeat works only inside ``optimize()`` and only with RDB storages. Ours is a
system attribute the controller refreshes from a background thread while its trial runs, so
it works with every storage, the journal file included. Any controller that asks for a trial
(and ``sweeps status``) fails the RUNNING trials whose heartbeat is older than a grace period,
as retryable, so the slot's next run retries them and constant-liar samplers stop counting
them as in flight.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from types import TracebackType

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial, TrialState

from sweeps.study.slots import SLOT, fail_retryable

HEARTBEAT = "sweeps:heartbeat"

_log = logging.getLogger("sweeps.study")


def heartbeat_interval_s() -> float:
    """Seconds between heartbeats (``SWEEPS_HEARTBEAT_S``, default 30)."""
    return float(os.environ.get("SWEEPS_HEARTBEAT_S", 30))


def stale_after_s() -> float:
    """Seconds without a heartbeat after which a RUNNING trial is stale
    (``SWEEPS_STALE_AFTER_S``, default ten heartbeats)."""
    return float(os.environ.get("SWEEPS_STALE_AFTER_S", 10 * heartbeat_interval_s()))


class Heartbeat:
    """A context that keeps ``trial_id``'s heartbeat fresh from a daemon thread."""

    def __init__(self, storage: BaseStorage, trial_id: int, interval_s: float | None = None):
        self.storage, self.trial_id = storage, trial_id
        self.interval_s = interval_s if interval_s is not None else heartbeat_interval_s()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sweeps-heartbeat", daemon=True)

    def beat(self) -> None:
        """Record that the trial's controller is alive now."""
        self.storage.set_trial_system_attr(self.trial_id, HEARTBEAT, time.time())

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.beat()
            except UpdateFinishedTrialError:
                return
            except Exception as err:  # a missed beat is logged; the grace period absorbs it
                _log.warning("heartbeat of trial id %d failed: %s", self.trial_id, err)

    def __enter__(self) -> Heartbeat:
        self.beat()
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval_s + 5)


def last_sign_of_life(trial: FrozenTrial) -> float | None:
    """When the trial's controller last beat (epoch seconds); None if it never did."""
    beat = trial.system_attrs.get(HEARTBEAT)
    return None if beat is None else float(beat)


def stale_trials(
    study: optuna.Study,
    grace_s: float | None = None,
    still_running: Callable[[FrozenTrial], bool] | None = None,
) -> list[FrozenTrial]:
    """The sweep's RUNNING trials whose heartbeat is older than ``grace_s``, except those
    ``still_running`` says are still being worked on (a Slurm job or a warm lane alive: the
    slot's next run re-attaches to them).

    A trial that never had a heartbeat is left to its own slot's next run, which fails a
    RUNNING trial it finds (its controller is gone, as Snakemake runs one job per slot).
    """
    grace = grace_s if grace_s is not None else stale_after_s()
    now = time.time()
    stale = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        beat = last_sign_of_life(trial)
        silent = SLOT in trial.system_attrs and beat is not None and now - beat > grace
        if silent and (still_running is None or not still_running(trial)):
            stale.append(trial)
    return stale


def fail_stale_trials(
    study: optuna.Study,
    grace_s: float | None = None,
    still_running: Callable[[FrozenTrial], bool] | None = None,
) -> list[int]:
    """Fail stale trials as retryable; the numbers of those this call failed."""
    failed = []
    for trial in stale_trials(study, grace_s, still_running):
        silent_s = time.time() - (last_sign_of_life(trial) or 0.0)
        why = f"stale: no heartbeat from its controller for {silent_s:.0f}s (controller died?)"
        if fail_retryable(study._storage, trial._trial_id, why):
            failed.append(trial.number)
            _log.warning("trial %d failed as stale: %s", trial.number, why)
    return failed
