"""Submitting a trial attempt as a job, and finding an earlier controller's job again."""

from __future__ import annotations

import submitit

from sweeps.job.runner import run_trial
from sweeps.job.task import TrialTask
from sweeps.run.executors.arrays import COALESCER, coalesces, submit_batch
from sweeps.run.executors.base import JobHandle
from sweeps.run.executors.registry import backend_for
from sweeps.spec import SweepSpec
from sweeps.spec.paths import SweepPaths


def make_executor(spec: SweepSpec, requeueable: bool = True) -> submitit.Executor:
    """The submitit executor the sweep asks for, writing to the sweep's jobs folder."""
    return backend_for(spec).executor(spec, SweepPaths.of(spec).jobs, requeueable)


def submit_trial(spec: SweepSpec, task: TrialTask) -> JobHandle:
    """Submit one trial attempt. Attempts that start together in this process go out as one
    job array where the backend allows it (:mod:`sweeps.run.executors.arrays`)."""
    backend = backend_for(spec)
    key = backend.array_key(spec)
    if key is not None and coalesces(backend, spec):
        job = COALESCER.submit(
            key,
            backend.array_window_s(spec),
            task,
            lambda tasks: submit_batch(make_executor(spec), tasks, run_trial),
        )
    else:
        job = make_executor(spec).submit(run_trial, task)
    return JobHandle(job, backend, spec)


def reattach(spec: SweepSpec, job_id: str) -> JobHandle | None:
    """A handle on a job submitted by an earlier controller, when the executor allows it."""
    if not job_id:
        return None
    backend = backend_for(spec)
    job = backend.reattach(spec, SweepPaths.of(spec).jobs, job_id)
    return None if job is None else JobHandle(job, backend, spec)
