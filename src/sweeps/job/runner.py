"""The job side of a trial: import the objective, run it, describe how it ended.

This module runs inside the submitit job (a local process or a Slurm job). It never tells the
study the final state: the controller does, so a job that dies without returning is handled the
same way as one that fails.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import optuna

from sweeps.job.binding import bind_rank
from sweeps.job.command import run_command
from sweeps.job.cost_values import with_cost_values
from sweeps.job.devices import visible_devices
from sweeps.job.distributed import join_job
from sweeps.job.energy.trial import Share, TrialMeter
from sweeps.job.handle import TrialHandle
from sweeps.job.interrupts import interrupted, noting_interrupts
from sweeps.job.judge import judge_result
from sweeps.job.seeding import seed_everything
from sweeps.job.staging import StagedData, stage_data
from sweeps.job.task import TrialOutcome, TrialTask
from sweeps.spec.facts import RUNTIME_S, WORLD_SIZE
from sweeps.spec.metrics import objective_value_count
from sweeps.study.provenance import host_facts, package_versions

TRACEBACK_LIMIT = 16_000


def import_objective(path: str) -> Callable[..., Any]:
    """The callable named by ``package.module:function``."""
    module_name, _, attr = path.partition(":")
    module = importlib.import_module(module_name)
    try:
        objective: Callable[..., Any] = getattr(module, attr)
    except AttributeError:
        raise ImportError(f"module {module_name!r} has no attribute {attr!r}") from None
    return objective


def run_trial(task: TrialTask, energy_share: Share | None = None) -> TrialOutcome:
    """Run one attempt of a trial and return its outcome (never raises for objective errors).

    The objective runs inside the node's best energy counter; ``energy_share`` gives this
    trial its part of a device that packed trials share."""
    _limit_threads(task.spec.resources.cpus)
    started = time.time()
    rank = join_job()
    placement = bind_rank(task.spec, rank)
    handle = TrialHandle(task, rank)
    facts: dict[str, Any] = {
        **host_facts(),
        **placement,
        "pid": os.getpid(),
        "started_at": datetime.now(UTC).isoformat(),
        "seed": task.seed,
        "versions": package_versions(),
        **handle.environment(),
    }
    log_file = handle.open_log()
    meter = TrialMeter(counter_gpus(task.spec.resources.gpus), energy_share)
    staged: StagedData | None = None
    with noting_interrupts() as interrupts:
        try:
            if task.spec.data.stage:  # copied once per node, before the objective reads it
                staged = stage_data(task.spec, task.data_identity)
            with meter:
                if task.spec.objective.is_function:
                    outcome = _run_function(task, handle)
                else:
                    outcome = run_command(task, handle)
        except optuna.TrialPruned as pruned:
            outcome = TrialOutcome("pruned", reason=str(pruned) or "pruned by the pruner")
        except KeyboardInterrupt:
            outcome = interrupted()
        except Exception as err:
            handle.log.exception("trial failed")
            outcome = TrialOutcome(
                "fail",
                reason=f"{type(err).__name__}: {err}",
                traceback=traceback.format_exc()[-TRACEBACK_LIMIT:],
            )
        finally:
            handle.close_log(log_file)
            _leave_process_group()
    if interrupts and not outcome.retryable:  # an objective that caught the interrupt
        handle.log.warning("%s reached the trial; its result is not kept", interrupts[0])
        outcome = interrupted(interrupts[0])
    facts["device"] = _device_name(handle)
    if handle.log_path is not None:
        facts["log_file"] = str(handle.log_path)
    facts["finished_at"] = datetime.now(UTC).isoformat()
    facts[RUNTIME_S.key] = round(time.time() - started, 3)
    if handle.last_step is not None:
        facts["last_step"] = handle.last_step
    if rank.world_size > 1:
        facts[WORLD_SIZE.key] = rank.world_size
        facts["rank"] = rank.rank
        facts["local_rank"] = rank.local_rank
    facts.update(meter.facts())
    if staged is not None:
        facts.update(staged.facts())
    outcome.facts = facts
    return with_cost_values(task.spec, outcome, task.trials_per_gpu)


def counter_gpus(gpus: int) -> list[int]:
    """The node's indices of this trial's GPUs, for the energy counters (none when the
    visibility variable names devices by UUID: the node's counters are read instead)."""
    if gpus == 0:
        return []
    ids = visible_devices(count=gpus)
    return [int(i) for i in ids] if all(i.isdigit() for i in ids) else []


def _run_function(task: TrialTask, handle: TrialHandle) -> TrialOutcome:
    objective = import_objective(str(task.spec.objective.entry_point))
    seed_everything(task.seed, task.spec.reproducible)
    if task.spec.objective.takes_trial:  # an Optuna objective: f(trial), as study.optimize
        result = objective(handle, **task.spec.objective.args)
    else:
        result = _call(objective, task, handle)
    n_values = objective_value_count(task.spec)
    return judge_result(result, n_values, task.spec.objective.allow_non_finite)


def takes_handle(objective: Callable[..., Any], args: dict[str, Any]) -> bool:
    """Whether the objective is called as ``f(params, trial, **args)`` (else ``f(params,
    **args)``): it has a second positional parameter that the fixed arguments do not fill."""
    positional = [
        p
        for p in inspect.signature(objective).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in args
    ]
    return len(positional) >= 2


def _call(objective: Callable[..., Any], task: TrialTask, handle: TrialHandle) -> Any:
    args = task.spec.objective.args
    if takes_handle(objective, args):
        return objective(dict(task.params), handle, **args)
    return objective(dict(task.params), **args)


def _limit_threads(cpus: int) -> None:
    """The trial's libraries, and a command's process (it inherits them), use ``cpus``
    threads unless the job's environment already says otherwise (``slurm.setup``)."""
    from sweeps.job.threads import thread_env

    os.environ.update(thread_env(cpus, os.environ))


def _leave_process_group() -> None:
    torch = sys.modules.get("torch")
    if (
        torch is not None
        and torch.distributed.is_available()
        and torch.distributed.is_initialized()
    ):
        torch.distributed.destroy_process_group()


def _device_name(handle: TrialHandle) -> str:
    if "device" not in handle.__dict__ or handle.device == "cpu":
        return "cpu"
    import torch

    return f"cuda:{torch.cuda.get_device_name()}"
