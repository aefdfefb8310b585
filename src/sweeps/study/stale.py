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
from sweeps.study.claims import slot_claim
from sweeps.study.controllers import controller_gone
from sweeps.study.heartbeat import stale_after_s
from sweeps.study.keys import Key
from sweeps.study.reads import trials_in
from sweeps.study.slots import fail_retryable

_log = logging.getLogger("sweeps.study")


def last_sign_of_life(trial: FrozenTrial) -> float | None:
    """When the trial's controller last beat (epoch seconds); None if it never did."""
    beat = trial.system_attrs.get(Key.CONTROLLER_HEARTBEAT)
    return None if beat is None else float(beat)


def heard_from_recently(trial: FrozenTrial, grace_s: float | None = None) -> bool:
    """Whether the trial's controller beat within the grace period (it is alive)."""
    beat = last_sign_of_life(trial)
    grace = grace_s if grace_s is not None else stale_after_s()
    return beat is not None and time.time() - beat <= grace


def controller_alive(trial: FrozenTrial) -> bool:
    """Whether the trial's controller may still be working on it: it beat within the grace
    period and is not known to have exited."""
    return heard_from_recently(trial) and not controller_gone(trial)


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
    for trial in trials_in(study, (TrialState.RUNNING,)):
        beat = last_sign_of_life(trial)
        silent = Key.SLOT in trial.system_attrs and beat is not None and now - beat > grace
        if silent and (still_running is None or not still_running(trial)):
            stale.append(trial)
    return stale


def fail_stale_trials(
    study: optuna.Study,
    grace_s: float | None = None,
    still_running: Callable[[FrozenTrial], bool] | None = None,
    url: str | None = None,
) -> list[int]:
    """Fail stale trials as retryable; the numbers of those this call failed.

    With ``url`` (the study's storage setting), each trial is failed under its slot's claim
    and only if it is still silent then: a controller of another run may have just taken it
    over (:mod:`sweeps.study.claims`).
    """
    failed = []
    for trial in stale_trials(study, grace_s, still_running):
        if url is None:
            done = _fail_stale(study, trial)
        else:
            with slot_claim(url, study.study_name, int(trial.system_attrs[Key.SLOT])):
                current = storage_of(study).get_trial(trial_id_of(trial))
                silent = current.state == TrialState.RUNNING
                done = (
                    silent
                    and not heard_from_recently(current, grace_s)
                    and _fail_stale(study, current)
                )
        if done:
            failed.append(trial.number)
    return failed


def _fail_stale(study: optuna.Study, trial: FrozenTrial) -> bool:
    silent_s = time.time() - (last_sign_of_life(trial) or 0.0)
    why = f"stale: no heartbeat from its controller for {silent_s:.0f}s (controller died?)"
    if not fail_retryable(storage_of(study), trial_id_of(trial), why):
        return False
    _log.warning("trial %d failed as stale: %s", trial.number, why)
    return True
