"""Slurm execution: each trial attempt is a Slurm job submitted by submitit's SlurmExecutor.

Jobs are watched through the sweep's shared status board (:mod:`.watch`), their ends mapped to
outcomes by one table (:mod:`.outcomes`), and the trials in flight kept under the site's job
limits (:mod:`.limits`). Trials that start together share a job array.
"""

from __future__ import annotations

import json
import subprocess
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import submitit

from sweeps.job.task import TrialOutcome
from sweeps.run.executors.base import Backend, JobHandle, JobStatus
from sweeps.run.executors.slurm.accounting import SacctError, StatusBoard, job_record
from sweeps.run.executors.slurm.billing import cost_facts
from sweeps.run.executors.slurm.facts import running_job, slurm_facts, with_accounted_energy
from sweeps.run.executors.slurm.limits import read_limits
from sweeps.run.executors.slurm.outcomes import SlurmState, meaning
from sweeps.run.executors.slurm.script import (
    SlurmConfigError,
    check_slurm,
    sbatch_parameters,
    slurm_executor,
    tasks_per_node,
    whole_node_problem,
)
from sweeps.run.executors.slurm.watch import SlurmWatch, slurm_outcome, wait_slurm
from sweeps.spec import SweepSpec
from sweeps.spec.facts import COST, SLURM
from sweeps.spec.paths import SweepPaths


class SlurmBackend(Backend):
    """Trials as Slurm jobs; jobs outlive their controller, which can re-attach to them."""

    name = "slurm"
    runs_on_submit_host = False

    def check(self, spec: SweepSpec) -> None:
        check_slurm(spec)

    def check_job_per_trial(self, spec: SweepSpec) -> None:
        problem = whole_node_problem(spec)
        if problem:
            raise SlurmConfigError(problem)

    def executor(
        self, spec: SweepSpec, folder: Path, requeueable: bool = True
    ) -> submitit.Executor:
        return slurm_executor(spec, folder, requeueable)

    def trials_in_flight(self, spec: SweepSpec) -> int:
        return read_limits(spec.dispatch.slurm.partition).cap(spec.parallelism)

    def array_key(self, spec: SweepSpec) -> str | None:
        shape = [
            str(SweepPaths.of(spec).jobs),
            sbatch_parameters(spec),
            spec.dispatch.slurm.python,
            spec.budget.max_retries,
        ]
        return json.dumps(shape, sort_keys=True, default=str)

    def array_window_s(self, spec: SweepSpec) -> float:
        return spec.dispatch.slurm.array_window_s

    def wait(self, handle: JobHandle, stop: threading.Event | None = None) -> None:
        board = StatusBoard(SweepPaths.of(handle.spec).status_board)
        handle.watch = wait_slurm(handle.job, handle.spec.dispatch.slurm, board, stop)

    def outcome(self, handle: JobHandle) -> TrialOutcome:
        watch = handle.watch or SlurmWatch()
        tasks = handle.spec.resources.nodes * tasks_per_node(handle.spec)
        outcome = slurm_outcome(handle.job, watch, tasks)
        if watch.info is not None:
            billing = handle.spec.dispatch.slurm.billing
            facts = {**outcome.facts, COST: cost_facts(watch.info, billing)}
            outcome.facts = with_accounted_energy(facts, watch.info)
        return outcome

    def reattach(self, spec: SweepSpec, folder: Path, job_id: str) -> submitit.Job[Any] | None:
        return submitit.SlurmJob(folder=folder, job_id=job_id)

    def status(self, job_id: str) -> JobStatus | None:
        try:
            info = job_record(job_id)
        except SacctError:  # Slurm does not answer: do not give up on a job that may be running
            return JobStatus(f"{SlurmState.UNKNOWN} (Slurm does not answer)", active=True)
        if info is None:
            return None
        row = meaning(info.state)
        fatal = row.reason(f"Slurm job {job_id}", info.state) if row.fatal else None
        return JobStatus(info.state, row.active, fatal)

    def cancel(self, job_ids: list[str]) -> list[str]:
        if job_ids:
            subprocess.run(["scancel", *job_ids], capture_output=True, check=False)
        return job_ids

    def keeps_jobs_on_interrupt(self, spec: SweepSpec) -> bool:
        return spec.dispatch.slurm.on_interrupt == "keep"

    def whole_node_gpus(self, spec: SweepSpec) -> int | None:
        settings = spec.dispatch.slurm
        limits = settings.limits.get(settings.partition or "")
        if limits is None or not limits.whole_nodes:
            return None
        return limits.gpus_per_node

    def job_facts(
        self, spec: SweepSpec, job_id: str, gpus: float, job_gpus: float, run_s: float
    ) -> dict[str, dict[str, Any]] | None:
        info = running_job(job_id, gpus, run_s)
        if info is None:
            return None
        worker = replace(info, gpus=job_gpus)
        share = gpus / job_gpus if job_gpus else 1.0
        cost = cost_facts(worker, spec.dispatch.slurm.billing, share)
        return {SLURM: slurm_facts(info), COST: cost}
