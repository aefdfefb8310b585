"""Warm dispatch, controller side: publish the trial, make sure workers run, await its outcome.

The trial slot's controller creates and suggests its trial as in job mode; instead of
submitting a job it publishes the trial (WAITING, with its task recorded on it) for the sweep's
warm workers, starts a worker job when fewer run than the published trials need (bounded by
``dispatch.warm.workers``), and waits until a lane records the outcome. A trial whose lane
stops beating its heartbeat is a lost attempt: failed, retryable. The controller remains the
only writer of the trial's final state.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from sweeps.job.task import TrialOutcome, TrialTask
from sweeps.run.executors import backend_for
from sweeps.run.strategies.warm.pool import WorkerPool
from sweeps.spec import SweepSpec
from sweeps.storage.attrs import set_trial_attrs
from sweeps.storage.optuna_internals import storage_of, study_id_of, trial_id_of
from sweeps.study.controllers import process_gone
from sweeps.study.keys import Attr, Key
from sweeps.study.slots import fail_retryable, slot_trials
from sweeps.worker.queue import outcome_from_record, task_record
from sweeps.worker.wakeups import ring, wait_for_outcome_flag


def publish_trial(
    spec: SweepSpec, study: optuna.Study, trial: optuna.Trial, task: TrialTask, pool: WorkerPool
) -> None:
    """Hand ``trial`` to the warm workers, starting one if the published trials need it."""
    storage, trial_id = storage_of(study), trial_id_of(trial)
    _fail_unclaimed(study, task.slot, trial.number)
    set_trial_attrs(
        storage,
        trial_id,
        user={Attr.EXECUTOR: spec.dispatch.executor, Attr.DISPATCH: "warm", Attr.SEED: task.seed},
        system={Key.WARM_TASK: task_record(task)},
    )
    storage.set_trial_state_values(trial_id, TrialState.WAITING)  # published: workers may claim
    pool.ensure(storage, study_id_of(study))
    ring(pool.folder)


_UNSEEN = object()


def await_outcome(
    spec: SweepSpec,
    study: optuna.Study,
    trial_id: int,
    pool: WorkerPool,
    stop: threading.Event | None = None,
) -> TrialOutcome:
    """Wait until a lane records the trial's outcome (or stops beating); raise
    KeyboardInterrupt once ``stop`` is set."""
    storage, study_id = storage_of(study), study_id_of(study)
    warm = spec.dispatch.warm
    last_beat: Any = _UNSEEN
    beat_seen = time.monotonic()
    last_ensure = time.monotonic()
    while True:
        if stop is not None and stop.is_set():
            raise KeyboardInterrupt
        frozen = storage.get_trial(trial_id)
        who = frozen.system_attrs.get(Key.WORKER, {})
        facts: dict[str, Any] = {Attr.EXECUTOR: spec.dispatch.executor, Attr.DISPATCH: "warm"}
        if who:
            facts.update({"worker": who.get("worker"), Attr.JOB_ID: who.get("job_id")})
        record = frozen.system_attrs.get(Key.WARM_OUTCOME)
        if record is not None:
            outcome = outcome_from_record(record)
            outcome.facts = {**outcome.facts, **facts}
            return outcome
        now = time.monotonic()
        if frozen.state == TrialState.RUNNING:
            beat = frozen.system_attrs.get(Key.LANE_HEARTBEAT)
            if process_gone(who.get("process")):  # on this host: no need to wait for the beat
                if Key.WARM_OUTCOME in storage.get_trial(trial_id).system_attrs:
                    continue  # recorded just before the lane exited
                return _worker_lost(spec, who, facts, "its lane process exited")
            if beat != last_beat:  # compare changes, not clocks: workers run on other hosts
                last_beat, beat_seen = beat, now
            elif now - beat_seen > warm.heartbeat_timeout_s:
                return _worker_lost(
                    spec, who, facts, f"no heartbeat for {warm.heartbeat_timeout_s:g} s"
                )
        elif frozen.state == TrialState.WAITING and now - last_ensure > max(warm.heartbeat_s, 1):
            pool.ensure(storage, study_id)  # a worker may have gone idle or died meanwhile
            last_ensure = now
        elif frozen.state.is_finished():
            raise RuntimeError(f"trial {frozen.number} was finished by someone else")
        wait_for_outcome_flag(pool.folder, trial_id, spec.dispatch.poll_interval_s)


def lane_alive(spec: SweepSpec, trial: FrozenTrial) -> bool:
    """Whether the lane that claimed ``trial`` beat its heartbeat recently enough to be still
    running it, and is not known to have exited."""
    beat = trial.system_attrs.get(Key.LANE_HEARTBEAT)
    if beat is None or time.time() - float(beat) >= spec.dispatch.warm.heartbeat_timeout_s:
        return False
    return not process_gone(trial.system_attrs.get(Key.WORKER, {}).get("process"))


def _worker_lost(
    spec: SweepSpec, who: dict[str, Any], facts: dict[str, Any], why: str
) -> TrialOutcome:
    """The outcome of a trial whose lane stopped beating or exited: retried, unless its
    worker job ended in a way another attempt would repeat (out of memory)."""
    lost = (
        f"warm worker {who.get('worker')} (lane {who.get('lane')}, host {who.get('host')}) "
        f"lost: {why}"
    )
    job_id = str(who.get("job_id") or "")
    status = backend_for(spec).status(job_id) if job_id else None
    if status is not None and status.fatal:
        return TrialOutcome("fail", reason=f"{status.fatal} (worker job; {lost})", facts=facts)
    if status is not None:
        lost += f"; its job {job_id} is {status.state}"
    return TrialOutcome("fail", reason=lost, facts=facts, retryable=True)


def _fail_unclaimed(study: optuna.Study, slot: int, current: int) -> None:
    """Fail trials a dead controller of this slot published but no one will ever tell."""
    for old in slot_trials(study, slot):
        if old.number != current and old.state == TrialState.WAITING:
            fail_retryable(storage_of(study), trial_id_of(old), "its controller died")
