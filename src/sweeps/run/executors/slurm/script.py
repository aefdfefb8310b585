"""Slurm execution: each trial attempt is a Slurm job submitted by submitit's SlurmExecutor.

The job's flags come from the sweep's ``resources`` and its ``dispatch.slurm`` settings (which a
profile's site file usually provides). submitit's default ``--wckey`` is never sent.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

import submitit

from sweeps.run.executors.slurm.requeue import TrialSlurmExecutor, signal_delay_s
from sweeps.run.executors.submitit_internals import SUBMIT_MODULE, sbatch_script
from sweeps.spec import SweepSpec
from sweeps.spec.launch import tasks_per_node as launch_tasks
from sweeps.spec.model import SlurmSettings
from sweeps.spec.paths import SweepPaths


class SlurmConfigError(ValueError):
    """The Slurm settings cannot produce a valid job (raised before anything is submitted)."""


def job_name(spec: SweepSpec) -> str:
    """The Slurm job name of the sweep's trials (``squeue -n`` finds them all)."""
    return f"sweeps-{spec.study}"


def resolve_account(settings: SlurmSettings) -> str | None:
    """The account to charge: the settings' own, else ``$SBATCH_ACCOUNT``."""
    return settings.account or os.environ.get("SBATCH_ACCOUNT") or None


def check_slurm(spec: SweepSpec) -> None:
    """Fail early, naming the setting, when the sweep's Slurm settings cannot work here."""
    settings = spec.dispatch.slurm
    if settings.require_account and not resolve_account(settings):
        raise SlurmConfigError(
            "dispatch.slurm.account: this site requires a Slurm account (e.g. project_465000123);"
            " set it in the profile's site.yaml or export SBATCH_ACCOUNT"
        )
    limit_problem = partition_limit_problem(spec)
    if limit_problem:
        raise SlurmConfigError(limit_problem)
    if settings.mem_per_gpu and _gpus(spec) == 0:
        raise SlurmConfigError(
            f"dispatch.slurm.mem_per_gpu: {settings.mem_per_gpu!r} needs GPUs, but the trial asks"
            " for none (resources.gpus or dispatch.slurm.gpus_per_node)"
        )


def partition_limit_problem(spec: SweepSpec) -> str | None:
    """What the sweep asks beyond its partition's limits (``dispatch.slurm.limits``)."""
    settings, resources = spec.dispatch.slurm, spec.resources
    limits = settings.limits.get(settings.partition or "")
    if limits is None:
        return None
    where = f"partition {settings.partition} allows"
    gpus = _gpus(spec)
    if limits.gpus_per_node is not None and gpus > limits.gpus_per_node:
        return (
            f"resources.gpus: {gpus} GPUs per node, but {where} {limits.gpus_per_node} per node:"
            f" ask for at most {limits.gpus_per_node} and more resources.nodes"
        )
    if limits.max_nodes is not None and resources.nodes > limits.max_nodes:
        return (
            f"resources.nodes: {resources.nodes}, but {where} at most {limits.max_nodes} nodes"
            " per job: use fewer nodes or a partition that allows more (dispatch.slurm.partition)"
        )
    return None


def whole_node_problem(spec: SweepSpec) -> str | None:
    """Why one job per trial would hold part of a whole node (billed whole) for nothing."""
    settings = spec.dispatch.slurm
    limits = settings.limits.get(settings.partition or "")
    if limits is None or not limits.whole_nodes or limits.gpus_per_node is None:
        return None
    gpus = _gpus(spec)
    if gpus >= limits.gpus_per_node:
        return None
    return (
        f"resources.gpus: {gpus}, but partition {settings.partition} hands out (and bills) "
        f"whole nodes of {limits.gpus_per_node} GPUs: one job per trial would leave "
        f"{limits.gpus_per_node - gpus} of them idle. Pack the trials on whole-node workers "
        f"(dispatch.mode: warm), ask for resources.gpus: {limits.gpus_per_node}, or use a shared"
        " partition (dispatch.slurm.partition)"
    )


def sbatch_parameters(spec: SweepSpec) -> dict[str, Any]:
    """submitit SlurmExecutor parameters for one trial of ``spec``."""
    settings, resources = spec.dispatch.slurm, spec.resources
    gpus = _gpus(spec)
    params: dict[str, Any] = {
        "job_name": job_name(spec),
        "time": resources.time_min,
        "nodes": resources.nodes,
        "ntasks_per_node": tasks_per_node(spec),
        "cpus_per_task": settings.cpus_per_task or resources.cpus,
        "signal_delay_s": signal_delay_s(resources.time_min),
        "wckey": None,  # submitit's default --wckey=submitit breaks some sites
        "partition": settings.partition,
        "account": resolve_account(settings),
        "setup": list(settings.setup) or None,
        "additional_parameters": dict(settings.additional) or None,
    }
    if gpus and settings.gpu_flag == "gpus-per-node":
        params["gpus_per_node"] = gpus
    elif gpus:  # --gpus counts the whole job's
        total = gpus * resources.nodes
        params["additional_parameters"] = {"gpus": total, **(params["additional_parameters"] or {})}
    if settings.mem_per_gpu:
        params["mem_per_gpu"] = settings.mem_per_gpu
    elif settings.mem_per_cpu:
        params["mem_per_cpu"] = settings.mem_per_cpu
    else:
        params["mem"] = f"{round(resources.mem_gb * 1024)}M"
    return params


def slurm_executor(
    spec: SweepSpec, folder: Path, requeueable: bool = True
) -> submitit.SlurmExecutor:
    """A SlurmExecutor for the sweep's trials (raises :class:`SlurmConfigError` first);
    ``requeueable``: jobs run trial tasks that may be requeued at their time limit, or by
    Slurm after a node failure. Other jobs (warm workers) are submitted ``--no-requeue``: a
    worker lost with its node is replaced by a new one, not brought back under its old id."""
    check_slurm(spec)
    if shutil.which("sbatch") is None:
        raise SlurmConfigError("dispatch.executor: 'slurm' but no sbatch on this machine's PATH")
    kind = TrialSlurmExecutor if requeueable else submitit.SlurmExecutor
    executor = kind(
        folder=folder, max_num_timeout=spec.budget.max_retries, python=spec.dispatch.slurm.python
    )
    params = sbatch_parameters(spec)
    if not requeueable:
        params["additional_parameters"] = {
            "no_requeue": True,
            **(params["additional_parameters"] or {}),
        }
    executor.update_parameters(**params)
    return executor


def render_script(spec: SweepSpec, folder: Path | None = None) -> str:
    """The sbatch script a trial of ``spec`` would be submitted with (nothing is submitted)."""
    check_slurm(spec)
    folder = (folder or SweepPaths.of(spec).jobs).absolute()
    python = spec.dispatch.slurm.python or shlex.quote(sys.executable)
    command = f"{python} -u -m {SUBMIT_MODULE} {shlex.quote(str(folder))}"
    return sbatch_script(command, folder, sbatch_parameters(spec))


def tasks_per_node(spec: SweepSpec) -> int:
    """The job's tasks on each node: one per rank of a function trial (one per GPU unless
    ``resources.tasks_per_node``), as its command objective's launch says, else one."""
    objective, resources = spec.objective, spec.resources
    gpus = _gpus(spec)
    return launch_tasks(objective.is_function, objective.launch, gpus, resources.tasks_per_node)


def _gpus(spec: SweepSpec) -> int:
    gpus = spec.dispatch.slurm.gpus_per_node
    return spec.resources.gpus if gpus is None else gpus
