"""Stale trials: a trial whose controller died must not stay RUNNING.

Any controller that asks for a trial fails the RUNNING trials whose controller heartbeat
(:mod:`sweeps.study.heartbeat`) is older than a grace period, as retryable, so the slot's next
run retries them and constant-liar samplers stop counting them as in flight.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import optuna
from optuna.trial import FrozenTrial, TrialState

from sweeps.storage.optuna_internals import storage_of, trial_id_of
from sweeps.study.heartbeat import stale_after_s
from sweeps.study.keys import Key
from sweeps.study.slots import fail_retryable

_log = logging.getLogger("sweeps.study")


def last_sign_of_life(trial: FrozenTrial) -> float | None:
    """When the trial's controller last beat (epoch seconds); None if it never did."""
    beat = trial.system_attrs.get(Key.CONTROLLER_HEARTBEAT)
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
        silent = Key.SLOT in trial.system_attrs and beat is not None and now - beat > grace
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
        if fail_retryable(storage_of(study), trial_id_of(trial), why):
            failed.append(trial.number)
            _log.warning("trial %d failed as stale: %s", trial.number, why)
    return failed
