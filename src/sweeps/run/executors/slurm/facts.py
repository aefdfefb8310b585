"""The Slurm facts stored on a trial (the :data:`sweeps.spec.facts.SLURM` group), from one job
record."""

from __future__ import annotations

import os
from typing import Any

from sweeps.run.executors.slurm.accounting import JobInfo
from sweeps.run.executors.slurm.outcomes import SlurmState
from sweeps.spec.facts import (
    ALLOCATED_GPU_HOURS,
    ALLOCATED_GPUS,
    ARRAY_INDEX,
    CONSUMED_ENERGY_WH,
    ENERGY_NOT_MEASURED,
    ENERGY_SOURCE,
    ENERGY_WH,
    JOB_ELAPSED_S,
    NODE,
    PARTITION,
    QUEUE_WAIT_S,
    REQUEUES,
    SLURM_JOB_ID,
    SLURM_STATE,
)

SLURM_ENERGY_SOURCE = "slurm ConsumedEnergyRaw"
"""The energy source named on a trial whose figure is Slurm's accounting of its job."""


def slurm_facts(info: JobInfo) -> dict[str, Any]:
    """Job id, partition, node, GPUs, state, requeues, elapsed time, allocated GPU-hours, array
    index, queue wait and consumed energy of the job that ran a trial, by their names in the
    Slurm group."""
    facts: dict[str, Any] = {
        SLURM_JOB_ID.name: info.job_id,
        PARTITION.name: info.partition,
        NODE.name: info.node,
        ALLOCATED_GPUS.name: info.gpus,
        SLURM_STATE.name: info.state,
        REQUEUES.name: info.requeues,
        JOB_ELAPSED_S.name: info.elapsed_s,
        ALLOCATED_GPU_HOURS.name: info.allocated_gpu_hours,
    }
    if info.array_index is not None:
        facts[ARRAY_INDEX.name] = info.array_index
    if info.queue_wait_s is not None:
        facts[QUEUE_WAIT_S.name] = info.queue_wait_s
    if info.energy_j is not None:
        facts[CONSUMED_ENERGY_WH.name] = round(info.energy_j / 3600, 6)
    return facts


def with_accounted_energy(facts: dict[str, Any], info: JobInfo) -> dict[str, Any]:
    """The trial's facts, with Slurm's ``ConsumedEnergyRaw`` as its energy where the job itself
    measured none (no counter readable in the job, or a job that died before reporting)."""
    if info.energy_j is None or ENERGY_WH.key in facts:
        return facts
    facts = {k: v for k, v in facts.items() if k != ENERGY_NOT_MEASURED.key}
    facts[ENERGY_WH.key] = round(info.energy_j / 3600, 6)
    facts[ENERGY_SOURCE.key] = SLURM_ENERGY_SOURCE
    return facts


def running_job(job_id: str, gpus: float, run_s: float) -> JobInfo | None:
    """The record of the Slurm job this process runs in, as its environment describes it
    (None outside Slurm): ``job_id`` (an array task ``A_i``, as submitit names it) held
    ``gpus`` for ``run_s`` seconds."""
    if not os.environ.get("SLURM_JOB_ID"):
        return None
    return JobInfo(
        job_id=job_id or os.environ["SLURM_JOB_ID"],
        state=SlurmState.RUNNING,
        partition=os.environ.get("SLURM_JOB_PARTITION", ""),
        node=os.environ.get("SLURMD_NODENAME", ""),
        gpus=gpus,
        elapsed_s=round(run_s),
        requeues=int(os.environ.get("SLURM_RESTART_COUNT", 0)),
    )
