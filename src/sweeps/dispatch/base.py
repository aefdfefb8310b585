"""The executor abstraction: build a submitit executor for a sweep and read a job's outcome."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import submitit
from optuna.trial import FrozenTrial
from submitit.core.utils import FailedJobError, UncompletedJobError

from sweeps.dispatch.logs import LOG_TAIL_CHARS, log_tail
from sweeps.dispatch.sacct import SacctError, job_record
from sweeps.dispatch.slurm_job import SlurmWatch, slurm_outcome, wait_slurm
from sweeps.spec import SweepSpec
from sweeps.spec.model import SlurmSettings
from sweeps.trial.task import TrialOutcome, TrialTask


def jobs_folder(spec: SweepSpec) -> Path:
    """Where submitit keeps the sweep's pickles and logs (``%j`` is the job id)."""
    base = Path(spec.dispatch.folder) if spec.dispatch.folder else Path("results") / spec.study
    return base / "jobs" / "%j"


def make_executor(spec: SweepSpec, requeueable: bool = True) -> submitit.Executor:
    """The submitit executor the sweep asks for.

    On Slurm, ``requeueable`` jobs run a trial task that submitit may requeue at its time
    limit (:mod:`sweeps.dispatch.requeue`); warm worker jobs are not requeued.
    """
    folder = jobs_folder(spec)
    if spec.dispatch.executor == "local":
        from sweeps.dispatch.local import local_executor

        return local_executor(spec, folder)
    if spec.dispatch.executor == "slurm":
        from sweeps.dispatch.slurm import slurm_executor

        return slurm_executor(spec, folder, requeueable)
    raise NotImplementedError(f"dispatch.executor {spec.dispatch.executor!r} is not available")


@dataclass
class JobHandle:
    """A submitted job and what we record about it on the trial."""

    job: submitit.Job[Any]
    executor: str
    slurm: SlurmSettings | None = None
    watch: SlurmWatch | None = None

    @property
    def job_id(self) -> str:
        return str(self.job.job_id)

    def wait(self, poll_s: float, stop: threading.Event | None = None) -> None:
        """Block until the job has ended; raise KeyboardInterrupt once ``stop`` is set.

        Slurm jobs are watched through batched accounting queries (:func:`wait_slurm`).
        """
        if self.executor == "slurm":
            self.watch = wait_slurm(self.job, self.slurm or SlurmSettings(), stop)
            return
        while not self.job.done():
            if stop is not None and stop.wait(poll_s):
                raise KeyboardInterrupt
            if stop is None:
                time.sleep(poll_s)


def submit_trial(spec: SweepSpec, task: TrialTask) -> JobHandle:
    """Submit one trial attempt. On Slurm, attempts that start together in this process are
    submitted as one job array (:mod:`sweeps.dispatch.arrays`)."""
    from sweeps.dispatch.arrays import COALESCER, coalesces, submit_batch
    from sweeps.trial.runner import run_trial

    if coalesces(spec):
        job = COALESCER.submit(spec, task, lambda s, tasks: submit_batch(s, tasks, run_trial))
    else:
        job = make_executor(spec).submit(run_trial, task)
    return JobHandle(job, spec.dispatch.executor, spec.dispatch.slurm)


def reattach(spec: SweepSpec, job_id: str) -> JobHandle | None:
    """A handle on a job submitted by an earlier controller, when the executor allows it."""
    if spec.dispatch.executor != "slurm" or not job_id:
        return None
    job: submitit.SlurmJob[Any] = submitit.SlurmJob(folder=jobs_folder(spec), job_id=job_id)
    return JobHandle(job, "slurm", spec.dispatch.slurm)


def still_running(spec: SweepSpec, trial: FrozenTrial) -> bool:
    """Whether a RUNNING trial's work goes on without its controller: its Slurm job is still
    queued or running, or a warm lane still beats its heartbeat."""
    from sweeps.study.slots import JOB_ID
    from sweeps.trial.queue import HEARTBEAT as LANE_HEARTBEAT

    lane_beat = trial.system_attrs.get(LANE_HEARTBEAT)
    if spec.dispatch.mode == "warm" and lane_beat is not None:
        return time.time() - float(lane_beat) < spec.dispatch.warm.heartbeat_timeout_s
    job_id = str(trial.system_attrs.get(JOB_ID, ""))
    if spec.dispatch.executor != "slurm" or not job_id:
        return False
    try:
        info = job_record(job_id)
    except SacctError:
        return True  # Slurm does not answer: do not give up on a job that may be running
    return info is not None and info.active


def collect_outcome(handle: JobHandle) -> TrialOutcome:
    """The outcome of an ended job; a job that died without a result is a failed attempt."""
    facts = {"executor": handle.executor, "job_id": handle.job_id}
    if handle.executor == "slurm":
        ended = slurm_outcome(handle.job, handle.watch or SlurmWatch())
        ended.facts = {**ended.facts, **facts}
        return ended
    try:
        outcome = _main_outcome(handle.job.results())
    except FailedJobError as err:
        message = str(err)
        return TrialOutcome(
            "fail", reason=_last_line(message), traceback=message[-LOG_TAIL_CHARS:], facts=facts
        )
    except UncompletedJobError as err:
        return TrialOutcome(
            "fail",
            reason=f"job ended without a result (killed?): {_last_line(str(err))}",
            traceback=log_tail(handle.job),
            facts=facts,
        )
    outcome.facts = {**outcome.facts, **facts}
    return outcome


def _main_outcome(outcomes: list[TrialOutcome]) -> TrialOutcome:
    """A trial's outcome: rank 0's, unless another rank failed (one outcome per task)."""
    failed = [o for o in outcomes[1:] if o.state == "fail"]
    if failed and outcomes[0].state != "fail":
        return failed[0]
    return outcomes[0]


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else text
