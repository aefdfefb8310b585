"""What each Slurm job state means for the trial attempt the job ran: one table.

A state that is still *active* means the job is queued or running. A job that ended without a
result was either *lost* (to the cluster, or to a scancel or kill from outside the sweep: the
attempt is retried within ``budget.max_retries``), ended *fatally* (the trial's own fault, out
of memory: retrying would end the same way, so it is not retried), or failed otherwise (the
log's last line says why).
Adding a state is one name of :class:`SlurmState` and one row of :data:`STATES`; code that
names a state uses :class:`SlurmState`, never the word.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from enum import StrEnum

OOM_MARKERS = ("Exceeded job memory limit", "oom-kill", "OUT_OF_MEMORY", "Out Of Memory")


class SlurmState(StrEnum):
    """The job states sweeps knows, as Slurm spells them (``sacct -o State``, ``squeue %T``)."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    REQUEUED = "REQUEUED"
    RESIZING = "RESIZING"
    SUSPENDED = "SUSPENDED"
    CONFIGURING = "CONFIGURING"
    COMPLETING = "COMPLETING"
    TIMEOUT = "TIMEOUT"
    PREEMPTED = "PREEMPTED"
    NODE_FAIL = "NODE_FAIL"
    BOOT_FAIL = "BOOT_FAIL"
    DEADLINE = "DEADLINE"
    REQUEUE_FED = "REQUEUE_FED"
    OUT_OF_MEMORY = "OUT_OF_MEMORY"
    CANCELLED = "CANCELLED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    UNKNOWN = "UNKNOWN"  # sweeps' own: a record without a state, or no record at all


@dataclass(frozen=True)
class StateMeaning:
    """How a trial attempt ends when its job is in (or ended in) one Slurm state."""

    active: bool = False
    retryable: bool = False
    fatal: str | None = None  # the reason, with {job} ("Slurm job 42") and {state}
    why: str | None = None  # a retryable row's reason, with {job}, {state} and {signal}

    def reason(self, job: str, state: str, tail_line: str = "", signal: int | None = None) -> str:
        """Why the attempt ended, for the trial's ``fail_reason``."""
        if self.fatal is not None:
            return self.fatal.format(job=job, state=state)
        if self.why is not None:
            return self.why.format(job=job, state=state, signal=_signal_name(signal))
        if self.retryable:
            return f"{job} ended {state}"
        return f"{job} ended {state} without a result: {tail_line}"


ACTIVE = StateMeaning(active=True)
LOST = StateMeaning(retryable=True)
FAILED = StateMeaning()
OUT_OF_MEMORY = StateMeaning(fatal="out of memory: {job} exceeded its memory limit ({state})")
CANCELLED = StateMeaning(
    retryable=True, why="{job} was cancelled outside the sweep (scancel); the attempt is retried"
)
KILLED_FROM_OUTSIDE = StateMeaning(
    retryable=True,
    why="{job} ended {state}: its trial was killed by {signal} from outside the sweep (no"
    " out-of-memory event recorded); the attempt is retried",
)
# Signals that end a job step for reasons outside the trial's parameters (a kill, a scancel's
# SIGTERM, a closed session). A SIGKILL from the out-of-memory killer is recorded by Slurm
# (OUT_OF_MEMORY, or an oom-kill event in the log), which is checked first.
OUTSIDE_SIGNALS = frozenset({signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGHUP})

STATES: dict[str, StateMeaning] = {
    SlurmState.PENDING: ACTIVE,
    SlurmState.RUNNING: ACTIVE,
    SlurmState.REQUEUED: ACTIVE,
    SlurmState.RESIZING: ACTIVE,
    SlurmState.SUSPENDED: ACTIVE,
    SlurmState.CONFIGURING: ACTIVE,
    SlurmState.COMPLETING: ACTIVE,
    SlurmState.TIMEOUT: LOST,
    SlurmState.PREEMPTED: LOST,
    SlurmState.NODE_FAIL: LOST,
    SlurmState.BOOT_FAIL: LOST,
    SlurmState.DEADLINE: LOST,
    SlurmState.REQUEUE_FED: LOST,
    SlurmState.OUT_OF_MEMORY: OUT_OF_MEMORY,
    SlurmState.CANCELLED: CANCELLED,
    SlurmState.COMPLETED: FAILED,  # ended, but without the trial's result
    SlurmState.FAILED: FAILED,
    SlurmState.UNKNOWN: FAILED,
}


def meaning(state: str, log_tail: str = "", signal: int | None = None) -> StateMeaning:
    """The row for ``state`` (unknown states: failed); a log that shows the kernel's OOM
    killer makes any ended state an out-of-memory failure; a job that failed because a step
    was killed by one of :data:`OUTSIDE_SIGNALS` (``signal``, from ``DerivedExitCode``) was
    lost to a kill from outside."""
    row = STATES.get(state, FAILED)
    if row.active or row.retryable:
        return row
    if any(m in log_tail for m in OOM_MARKERS):
        return OUT_OF_MEMORY
    if state == SlurmState.FAILED and signal in OUTSIDE_SIGNALS:
        return KILLED_FROM_OUTSIDE
    return row


def exit_signal(exit_code: str) -> int | None:
    """The signal of a ``code:signal`` exit code as sacct prints it (``0:9``), if any."""
    _, _, number = exit_code.partition(":")
    return int(number) if number.isdigit() and int(number) > 0 else None


def _signal_name(number: int | None) -> str:
    if number is None:
        return "a signal"
    try:
        return f"signal {number} ({signal.Signals(number).name})"
    except ValueError:
        return f"signal {number}"


def active_states() -> frozenset[str]:
    """States in which a job is still queued or running."""
    return frozenset(state for state, row in STATES.items() if row.active)
