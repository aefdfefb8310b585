"""Local execution: each trial attempt is a process started by submitit's LocalExecutor."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import submitit

from sweeps.job.task import TrialOutcome
from sweeps.run.executors import exit_watch
from sweeps.run.executors.base import Backend, JobHandle
from sweeps.run.executors.logs import log_tail
from sweeps.run.executors.submitit_internals import timed_out
from sweeps.spec import SweepSpec
from sweeps.spec.launch import tasks_per_node

# A trial is told to stop this many seconds before its time limit, so that it can still
# return its outcome; at the limit its process is killed.
TIME_LIMIT_GRACE_S = 5
# Signals that stop a trial process for reasons outside its parameters (Ctrl-C, a closed ssh
# session, a kill by a user): the attempt is lost, not failed. SIGKILL may be the kernel's
# out-of-memory killer, which a retry would meet again: not among them.
OUTSIDE_SIGNALS = ("(SIGINT)", "(SIGHUP)", "(SIGTERM)", "(SIGQUIT)")


class LocalBackend(Backend):
    """Trials as processes on this machine; jobs end with the controller that started them."""

    name = "local"

    def executor(
        self, spec: SweepSpec, folder: Path, requeueable: bool = True
    ) -> submitit.Executor:
        python = shlex.quote(sys.executable)
        executor = submitit.LocalExecutor(
            folder=folder, python=f"{python} {shlex.quote(exit_watch.__file__)} {python}"
        )
        executor.update_parameters(
            timeout_min=spec.resources.time_min,
            signal_delay_s=TIME_LIMIT_GRACE_S,
            gpus_per_node=spec.resources.gpus,
            tasks_per_node=tasks_per_node(
                spec.objective.is_function,
                spec.objective.launch,
                spec.resources.gpus,
                spec.resources.tasks_per_node,
            ),
        )
        return executor

    def outcome(self, handle: JobHandle) -> TrialOutcome:
        """The attempt's outcome, with the reason a local job's end really had: its time limit,
        or the signal that killed its process."""
        outcome = super().outcome(handle)
        if outcome.state != "fail":
            return outcome
        if timed_out(outcome.reason or ""):
            outcome.reason = f"time limit of {handle.spec.resources.time_min} min reached"
        elif (signal := exit_watch.killed_by(log_tail(handle.job))) is not None:
            outcome.reason = signal
            if any(name in signal for name in OUTSIDE_SIGNALS):  # a terminal's, a logout's
                outcome.reason += ", sent from outside the sweep: the attempt is retried"
                outcome.retryable = True
        return outcome
