"""The Slurm facts stored on a trial (``slurm.*`` user attributes), from one job record."""

from __future__ import annotations

import os
from typing import Any

from sweeps.run.executors.slurm.accounting import JobInfo
from sweeps.study.keys import Attr

SLURM_ENERGY_SOURCE = "slurm ConsumedEnergyRaw"
"""The energy source named on a trial whose figure is Slurm's accounting of its job."""


def slurm_facts(info: JobInfo) -> dict[str, Any]:
    """Job id, partition, node, GPUs, state, requeues, run time, GPU-hours, array index and
    queue wait of the job that ran a trial."""
    facts: dict[str, Any] = {
        "job_id": info.job_id,
        "partition": info.partition,
        "node": info.node,
        "gpus": info.gpus,
        "state": info.state,
        "requeues": info.requeues,
        "run_time_s": info.elapsed_s,
        "gpu_hours": info.gpu_hours,
    }
    if info.array_index is not None:
        facts["array_index"] = info.array_index
    if info.queue_wait_s is not None:
        facts["queue_wait_s"] = info.queue_wait_s
    if info.energy_j is not None:
        facts["energy_wh"] = round(info.energy_j / 3600, 6)
    return facts


def with_accounted_energy(facts: dict[str, Any], info: JobInfo) -> dict[str, Any]:
    """The trial's facts, with Slurm's ``ConsumedEnergyRaw`` as its energy where the job itself
    measured none (no counter readable in the job, or a job that died before reporting)."""
    if info.energy_j is None or Attr.ENERGY_WH in facts:
        return facts
    facts = {k: v for k, v in facts.items() if k != Attr.ENERGY_NOT_MEASURED}
    facts[Attr.ENERGY_WH] = round(info.energy_j / 3600, 6)
    facts[Attr.ENERGY_SOURCE] = SLURM_ENERGY_SOURCE
    return facts


def running_job(job_id: str, gpus: float, run_s: float) -> JobInfo | None:
    """The record of the Slurm job this process runs in, as its environment describes it
    (None outside Slurm): ``job_id`` (an array task ``A_i``, as submitit names it) held
    ``gpus`` for ``run_s`` seconds."""
    if not os.environ.get("SLURM_JOB_ID"):
        return None
    return JobInfo(
        job_id=job_id or os.environ["SLURM_JOB_ID"],
        state="RUNNING",
        partition=os.environ.get("SLURM_JOB_PARTITION", ""),
        node=os.environ.get("SLURMD_NODENAME", ""),
        gpus=gpus,
        elapsed_s=round(run_s),
        requeues=int(os.environ.get("SLURM_RESTART_COUNT", 0)),
    )
