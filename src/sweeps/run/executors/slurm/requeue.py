"""Requeue on time limit: a trial that saved a checkpoint continues in the same Slurm job.

submitit signals the job (``--signal=USR2@N``) before its time limit. A trial function wrapped
in :class:`Requeueable` is then requeued by submitit (same job id, same trial) when the trial
wrote something to its checkpoint directory, up to ``budget.max_retries`` times; otherwise the
attempt ends and the controller retries it as a new attempt within the same budget.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import submitit
from submitit.helpers import DelayedSubmission

from sweeps.job.task import TrialOutcome, TrialTask

# What submitit's error result says when it gave up on a time limit or preemption signal.
NOT_REQUEUED = "Job not requeued because"


class Requeueable(submitit.helpers.Checkpointable):
    """A trial function that submitit may requeue when its trial has a checkpoint."""

    def __init__(self, function: Callable[[TrialTask], TrialOutcome]) -> None:
        self.function = function

    def __call__(self, task: TrialTask) -> TrialOutcome:
        return self.function(task)

    def checkpoint(self, task: TrialTask) -> DelayedSubmission | None:  # type: ignore[override]
        """Requeue only when there is something to resume from."""
        folder = Path(task.checkpoint_dir)
        if folder.is_dir() and any(folder.iterdir()):
            return DelayedSubmission(self, task)
        return None


class TrialSlurmExecutor(submitit.SlurmExecutor):
    """A SlurmExecutor whose jobs are requeueable trial functions."""

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> submitit.Job[Any]:
        return super().submit(Requeueable(fn), *args, **kwargs)


def signal_delay_s(time_min: int) -> int:
    """How long before the time limit the job is signalled: 90 s, less for short limits."""
    return max(10, min(90, time_min * 60 // 4))
