"""What each Slurm job state means for the trial attempt the job ran: one table.

A state that is still *active* means the job is queued or running. A job that ended without a
result was either *lost* to the cluster (the attempt is retried within ``budget.max_retries``),
ended *fatally* (the trial's own fault, e.g. out of memory, or a user's scancel: retrying would
end the same way, so it is not retried), or failed otherwise (the log's last line says why).
Adding a state is one name of :class:`SlurmState` and one row of :data:`STATES`; code that
names a state uses :class:`SlurmState`, never the word.
"""

from __future__ import annotations

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

    def reason(self, job: str, state: str, tail_line: str = "") -> str:
        """Why the attempt ended, for the trial's ``fail_reason``."""
        if self.fatal is not None:
            return self.fatal.format(job=job, state=state)
        if self.retryable:
            return f"{job} ended {state}"
        return f"{job} ended {state} without a result: {tail_line}"


ACTIVE = StateMeaning(active=True)
LOST = StateMeaning(retryable=True)
FAILED = StateMeaning()
OUT_OF_MEMORY = StateMeaning(fatal="out of memory: {job} exceeded its memory limit ({state})")

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
    SlurmState.CANCELLED: StateMeaning(fatal="{job} was cancelled (scancel); not retried"),
    SlurmState.COMPLETED: FAILED,  # ended, but without the trial's result
    SlurmState.FAILED: FAILED,
    SlurmState.UNKNOWN: FAILED,
}


def meaning(state: str, log_tail: str = "") -> StateMeaning:
    """The row for ``state`` (unknown states: failed); a log that shows the kernel's OOM
    killer makes any ended state an out-of-memory failure."""
    row = STATES.get(state, FAILED)
    if not row.active and not row.retryable and any(m in log_tail for m in OOM_MARKERS):
        return OUT_OF_MEMORY
    return row


def active_states() -> frozenset[str]:
    """States in which a job is still queued or running."""
    return frozenset(state for state, row in STATES.items() if row.active)
