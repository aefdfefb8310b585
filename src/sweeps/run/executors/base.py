"""The executor abstraction: one :class:`Backend` per way of running trial jobs.

A backend builds the submitit executor for a sweep, waits for a job, turns its end into a
:class:`TrialOutcome`, and answers what the controller asks about jobs it did not submit
itself (re-attach after a restart, still running, cancel). Backends are looked up by the
sweep's ``dispatch.executor`` in :mod:`sweeps.run.executors.registry`; adding one is one module and
one registry line.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import submitit

from sweeps.job.task import TrialOutcome
from sweeps.run.executors.logs import LOG_TAIL_CHARS, log_tail
from sweeps.run.executors.submitit_internals import FailedJobError, UncompletedJobError
from sweeps.spec import SweepSpec
from sweeps.spec.facts import BOUND_CPUS, BOUND_GPUS, BOUND_NODE, HOSTNAME, NODES, RANKS


@dataclass(frozen=True)
class JobStatus:
    """What the executor says of a job now."""

    state: str
    active: bool  # queued or running
    fatal: str | None = None  # it ended in a way another attempt would repeat: why


@dataclass
class JobHandle:
    """A submitted job, the backend that watches it, and what it learnt while waiting."""

    job: submitit.Job[Any]
    backend: Backend
    spec: SweepSpec
    watch: Any = None

    @property
    def job_id(self) -> str:
        return str(self.job.job_id)

    def wait(self, stop: threading.Event | None = None) -> None:
        """Block until the job has ended; raise KeyboardInterrupt once ``stop`` is set."""
        self.backend.wait(self, stop)

    def outcome(self) -> TrialOutcome:
        """How the ended job's attempt ended (a job without a result is a failed attempt)."""
        outcome = self.backend.outcome(self)
        outcome.facts = {**outcome.facts, "executor": self.backend.name, "job_id": self.job_id}
        return outcome

    def cancel(self) -> None:
        self.job.cancel(check=False)


class Backend:
    """Runs trial jobs through one submitit executor. Subclasses set :attr:`name` and
    :meth:`executor`; the defaults suit an executor whose jobs are local processes."""

    name: ClassVar[str]
    runs_on_submit_host: ClassVar[bool] = True  # trials take this machine's cores

    def check(self, spec: SweepSpec) -> None:
        """Raise ``ValueError`` naming the setting when ``spec`` cannot run here (called
        before anything is submitted)."""

    def check_job_per_trial(self, spec: SweepSpec) -> None:
        """Raise ``ValueError`` when one job per trial cannot (or should not) run ``spec``."""

    def executor(
        self, spec: SweepSpec, folder: Path, requeueable: bool = True
    ) -> submitit.Executor:
        """The submitit executor for ``spec``'s jobs; ``requeueable`` jobs run trial tasks
        that may be requeued at their time limit (warm worker jobs are not)."""
        raise NotImplementedError

    def trials_in_flight(self, spec: SweepSpec) -> int:
        """How many trials the workflow should keep in flight for ``spec``."""
        return spec.parallelism

    def array_key(self, spec: SweepSpec) -> str | None:
        """Trials whose submissions share this key and arrive within :meth:`array_window_s`
        of each other go out as one job array; None: never."""
        return None

    def array_window_s(self, spec: SweepSpec) -> float:
        return 0.0

    def wait(self, handle: JobHandle, stop: threading.Event | None = None) -> None:
        poll_s = handle.spec.dispatch.poll_interval_s
        while not handle.job.done():
            if stop is not None and stop.wait(poll_s):
                raise KeyboardInterrupt
            if stop is None:
                time.sleep(poll_s)

    def outcome(self, handle: JobHandle) -> TrialOutcome:
        try:
            return main_outcome(handle.job.results())
        except FailedJobError as err:
            message = str(err)
            return TrialOutcome(
                "fail", reason=last_line(message), traceback=message[-LOG_TAIL_CHARS:]
            )
        except UncompletedJobError as err:
            return TrialOutcome(
                "fail",
                reason=f"job ended without a result (killed?): {last_line(str(err))}",
                traceback=log_tail(handle.job),
            )

    def reattach(self, spec: SweepSpec, folder: Path, job_id: str) -> submitit.Job[Any] | None:
        """A job submitted by an earlier controller, when the executor can find it again."""
        return None

    def status(self, job_id: str) -> JobStatus | None:
        """The job's state now; None when the executor cannot tell."""
        return None

    def still_running(self, job_id: str) -> bool:
        """Whether the job may still be working (when in doubt: yes)."""
        status = self.status(job_id)
        return status is not None and status.active

    def cancel(self, job_ids: list[str]) -> list[str]:
        """Cancel jobs by id; return those cancelled (none: local warm workers are told to
        stop through the stop file instead)."""
        return []

    def keeps_jobs_on_interrupt(self, spec: SweepSpec) -> bool:
        """Whether an interrupted sweep leaves its jobs running for a re-run to re-attach."""
        return False

    def whole_node_gpus(self, spec: SweepSpec) -> int | None:
        """The GPUs of a whole node where ``spec``'s jobs are given (and billed) whole nodes
        whatever they ask; None where a job gets what it asks."""
        return None

    def job_facts(
        self, spec: SweepSpec, job_id: str, gpus: float, job_gpus: float, run_s: float
    ) -> dict[str, dict[str, Any]] | None:
        """Fact groups of the job this process runs in (a warm lane's worker job ``job_id``,
        holding ``job_gpus``), for a trial that held ``gpus`` of them for ``run_s`` seconds;
        None when there are none to record."""
        return None


def main_outcome(outcomes: list[TrialOutcome]) -> TrialOutcome:
    """A trial's outcome: rank 0's, unless another rank failed while rank 0 did not end the
    trial (a pruned rank 0 leaves the others failing at their next collective); a multi-rank
    trial's records where each rank ran and what it was bound to."""
    failed = [o for o in outcomes[1:] if o.state == "fail"]
    main = failed[0] if failed and outcomes[0].state == "complete" else outcomes[0]
    if len(outcomes) > 1:
        ranks = [_placement(i, o.facts) for i, o in enumerate(outcomes)]
        main.facts[RANKS.key] = ranks
        main.facts[NODES.key] = sorted({str(r["node"]) for r in ranks})
    return main


def _placement(index: int, facts: dict[str, Any]) -> dict[str, Any]:
    """Where one rank ran: its rank, local rank, node, GPUs and cores."""
    return {
        "rank": facts.get("rank", index),
        "local_rank": facts.get("local_rank"),
        "node": BOUND_NODE.read(facts) or HOSTNAME.read(facts),
        "gpus": BOUND_GPUS.read(facts),
        "cpus": BOUND_CPUS.read(facts),
    }


def last_line(text: str) -> str:
    """The last non-empty line of ``text`` (an error's message, a log's last word)."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else text
