"""Waiting for a trial's Slurm job and turning its end into a trial outcome.

The job's state comes from the sweep's shared status board (one batched ``sacct`` per round,
backing off while nothing changes), not from submitit's own watcher, whose back-off reaches
ten minutes. A job Slurm no longer knows is declared lost after ``vanished_after_s``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import submitit

from sweeps.job.task import TrialOutcome
from sweeps.run.executors.base import last_line, main_outcome
from sweeps.run.executors.logs import LOG_TAIL_CHARS, log_tail
from sweeps.run.executors.slurm.accounting import (
    JobInfo,
    SacctError,
    StatusBoard,
    query_queue,
    with_step_signal,
)
from sweeps.run.executors.slurm.facts import slurm_facts
from sweeps.run.executors.slurm.outcomes import SlurmState, meaning
from sweeps.run.executors.slurm.requeue import NOT_REQUEUED
from sweeps.run.executors.submitit_internals import other_task_results, read_result
from sweeps.spec.facts import SLURM
from sweeps.spec.model import SlurmSettings

RESULT_POLL_S = 0.25
RESULT_GRACE_S = 10.0
FINAL_STATE_GRACE_S = 1.0  # a finished job's result pickle may reach a shared FS a little late


@dataclass
class SlurmWatch:
    """What the controller learnt about a Slurm job while waiting for it."""

    info: JobInfo | None = None
    vanished: bool = False
    errors: list[str] = field(default_factory=list)


def wait_slurm(
    job: submitit.Job[Any],
    settings: SlurmSettings,
    board: StatusBoard,
    stop: threading.Event | None = None,
) -> SlurmWatch:
    """Block until the job has a result, ended in Slurm, or vanished from Slurm; its state
    comes from the sweep's status ``board``.

    Raises KeyboardInterrupt once ``stop`` is set (controllers running as threads).
    """
    watch = SlurmWatch()
    interval = settings.status_interval_s
    missing_since: float | None = None
    last_state = None
    while True:
        if stop is not None and stop.is_set():
            raise KeyboardInterrupt
        try:
            watch.info = board.poll(str(job.job_id), max_age_s=interval)
        except SacctError as err:  # Slurm not answering is not the job vanishing
            watch.errors = [*watch.errors[-9:], str(err)]
            if job.paths.result_pickle.exists():
                return watch
            interval = min(interval * 1.5, settings.status_max_interval_s)
            _sleep_unless_result(job, interval, stop)
            continue
        now = time.monotonic()
        if watch.info is None:
            missing_since = missing_since or now
            if now - missing_since >= settings.vanished_after_s:
                if not _queued_or_running(str(job.job_id)):
                    watch.vanished = True
                    return watch
                missing_since = now  # accounting lags behind slurmctld: wait for its record
        else:
            missing_since = None
            if not watch.info.active and _requeued(watch.info):
                watch.info = replace(watch.info, state=SlurmState.REQUEUED)
            elif not watch.info.active:
                _await_result(job, RESULT_GRACE_S)
                watch.info = with_step_signal(_complete_facts(watch.info) or watch.info)
                board.forget(str(job.job_id))
                return watch
        started = watch.info is not None and watch.info.state != SlurmState.PENDING
        if job.paths.result_pickle.exists() and started:
            _await_final_state(job, board, watch)
            return watch
        state = watch.info.state if watch.info else None
        if state != last_state:
            interval, last_state = settings.status_interval_s, state
        else:
            interval = min(interval * 1.5, settings.status_max_interval_s)
        if missing_since is not None:
            interval = min(interval, settings.vanished_after_s / 6)
        _sleep_unless_result(job, interval, stop)


OTHER_RANKS_WAIT_S = 10.0  # ranks 1, 2, ... write their results just after rank 0


def slurm_outcome(job: submitit.Job[Any], watch: SlurmWatch, tasks: int = 1) -> TrialOutcome:
    """Map how the job ended to a trial outcome (:mod:`sweeps.run.executors.slurm.outcomes`);
    a job of several ``tasks`` (ranks) gives rank 0's, with every rank's placement."""
    facts: dict[str, Any] = {SLURM: slurm_facts(watch.info)} if watch.info else {}
    if job.paths.result_pickle.exists():
        kind, result = read_result(job.paths.result_pickle)
        if kind != "success" or not isinstance(result, TrialOutcome):
            message = f"{result}"[-LOG_TAIL_CHARS:]
            if NOT_REQUEUED in message:  # submitit gave up at the time limit / preemption signal
                reason = f"Slurm job {job.job_id} reached its time limit or was preempted"
                return TrialOutcome(
                    "fail", reason=reason, traceback=message, facts=facts, retryable=True
                )
            return TrialOutcome("fail", reason=last_line(message), traceback=message, facts=facts)
        result = main_outcome([result, *_other_ranks(job, tasks)])
        result.facts = {**result.facts, **facts}
        if result.state == "fail" and NOT_REQUEUED in (result.reason or ""):
            # submitit interrupted the objective at the time limit (or a preemption signal)
            result.reason = f"Slurm job {job.job_id} reached its time limit: {result.reason}"
            result.retryable = True
        return result
    tail = log_tail(job)
    if watch.vanished:
        reason = f"Slurm job {job.job_id} vanished (unknown to sacct); the attempt was lost"
        return TrialOutcome("fail", reason=reason, traceback=tail, facts=facts, retryable=True)
    state = watch.info.state if watch.info else SlurmState.UNKNOWN
    signal = watch.info.step_signal if watch.info else None
    row = meaning(state, tail, signal)
    reason = row.reason(f"Slurm job {job.job_id}", state, last_line(tail), signal)
    return TrialOutcome("fail", reason=reason, traceback=tail, facts=facts, retryable=row.retryable)


def _other_ranks(job: submitit.Job[Any], tasks: int) -> list[TrialOutcome]:
    """The outcomes ranks 1, 2, ... of a multi-rank trial returned (waiting a little for
    those that end just after rank 0)."""
    deadline = time.monotonic() + OTHER_RANKS_WAIT_S
    paths = other_task_results(job)
    while len(paths) < tasks - 1 and time.monotonic() < deadline:
        time.sleep(RESULT_POLL_S)
        paths = other_task_results(job)
    outcomes = []
    for path in paths:
        kind, result = read_result(path)
        if kind == "success" and isinstance(result, TrialOutcome):
            outcomes.append(result)
        else:
            message = f"{result}"[-LOG_TAIL_CHARS:]
            outcomes.append(TrialOutcome("fail", reason=last_line(message), traceback=message))
    return outcomes


def _sleep_unless_result(
    job: submitit.Job[Any], seconds: float, stop: threading.Event | None = None
) -> None:
    """Sleep between status rounds, waking early when the result appears (a cheap stat)
    or when ``stop`` is set."""
    stop = stop or threading.Event()
    if job.paths.result_pickle.exists():  # e.g. left by an earlier run of a requeued job
        stop.wait(seconds)
        return
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not job.paths.result_pickle.exists():
        if stop.wait(min(RESULT_POLL_S, max(0.0, deadline - time.monotonic()))):
            return


def _await_result(job: submitit.Job[Any], grace_s: float) -> None:
    deadline = time.monotonic() + grace_s
    while not job.paths.result_pickle.exists() and time.monotonic() < deadline:
        time.sleep(0.5)


def _await_final_state(job: submitit.Job[Any], board: StatusBoard, watch: SlurmWatch) -> None:
    """The result is in: give Slurm a moment to record the job's end (state, run time), but
    do not hold the slot for it: a job still finishing up is recorded as COMPLETING."""
    deadline = time.monotonic() + FINAL_STATE_GRACE_S
    while watch.info is not None and watch.info.active and time.monotonic() < deadline:
        time.sleep(0.25)
        try:
            watch.info = board.poll(str(job.job_id), max_age_s=0.25) or watch.info
        except SacctError:
            break
    if watch.info is not None and watch.info.active:
        watch.info = replace(
            watch.info, state=SlurmState.COMPLETING, elapsed_s=_since(watch.info.start)
        )
    watch.info = _complete_facts(watch.info)
    board.forget(str(job.job_id))


def _queued_or_running(job_id: str) -> bool:
    """Whether slurmctld still holds the job (queued or running). slurmdbd learns of a job a
    little after slurmctld starts it (seconds on a loaded one): a job accounting does not know
    yet has not vanished while slurmctld runs it. Its facts still come from accounting."""
    try:
        live = query_queue([job_id]).get(job_id)
    except SacctError:  # unknown to slurmctld too
        return False
    return live is not None and live.active


def _requeued(info: JobInfo) -> bool:
    """Whether a job accounting shows as lost (node failure, preemption) is queued again:
    Slurm requeues such a job under the same id, and accounting records the run that ended
    before slurmctld's requeue reaches it. Then the trial goes on with the job."""
    return meaning(info.state).retryable and _queued_or_running(info.job_id)


def _complete_facts(info: JobInfo | None) -> JobInfo | None:
    """Accounting sometimes lags behind a job's end (a record without partition or node):
    fill those in from slurmctld itself."""
    if info is None or (info.partition and info.node):
        return info
    try:
        live = query_queue([info.job_id]).get(info.job_id)
    except SacctError:
        return info
    if live is None:
        return info
    return replace(info, partition=info.partition or live.partition, node=info.node or live.node)


def _since(start: str) -> int:
    try:
        return max(0, round(time.time() - datetime.fromisoformat(start).timestamp()))
    except ValueError:
        return 0
