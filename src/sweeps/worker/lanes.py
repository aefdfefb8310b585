"""A warm worker's lanes: forked processes that each run one trial after another.

Each lane is bound to its own GPUs (``resources.gpus`` of the worker's, or a share of one when
``trials_per_gpu`` packs several) and the CPU cores nearest them. A lane claims WAITING trials
of its sweep, beats :attr:`Key.LANE_HEARTBEAT` on the trial it runs and records the outcome
there for the trial's controller, which alone tells the study. A lane that dies takes only its
trial down (its controller sees the heartbeat stop and retries the slot). Lanes exit after
``idle_timeout_s`` without work, once the sweep's budget is spent, when the stop file appears,
or when the worker job has no time left for another trial.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import BaseStorage

from sweeps.job.allocation import node_share
from sweeps.job.binding import Binding, apply_binding, binding_for, share_of
from sweeps.job.runner import import_objective, run_trial
from sweeps.job.task import TrialOutcome
from sweeps.run.executors.registry import backend_for
from sweeps.spec import SweepSpec
from sweeps.spec.facts import QUEUE_WAIT_S, RUNTIME_S
from sweeps.storage import open_storage
from sweeps.storage.optuna_internals import trial_id_of
from sweeps.study.controllers import process_identity
from sweeps.study.heartbeat import Heartbeat
from sweeps.study.keys import Attr, Key
from sweeps.study.slots import slots_done, uncounted
from sweeps.study.spending import Spending, has_budgets, spent_from_totals
from sweeps.worker.energy_spans import shared_device_spans
from sweeps.worker.queue import claim_published_trial, outcome_record, spec_key, task_from_record
from sweeps.worker.wakeups import doorbell_mtime, flag_outcome, stop_requested, wait_for_doorbell

JOB_ID_VAR = "SWEEPS_WORKER_JOB_ID"
DEADLINE_VAR = "SWEEPS_WORKER_DEADLINE"
BUDGET_CHECK_S = 2.0  # an idle lane checks this often whether the sweep's budget is spent


@dataclass(frozen=True)
class LaneLayout:
    """How a worker job's GPUs are split among its lanes."""

    worker_gpus: int
    gpus_per_lane: int
    lanes: int


def worker_gpus(spec: SweepSpec) -> int:
    """GPUs one worker job holds: ``warm.gpus_per_worker``; else, for GPU trials on a partition
    that hands out whole nodes, the node's (``dispatch.slurm.limits``); else one trial's."""
    return _worker_gpus(spec)[0]


def _worker_gpus(spec: SweepSpec) -> tuple[int, str]:
    """The worker's GPUs and the setting they come from."""
    warm = spec.dispatch.warm
    if warm.gpus_per_worker is not None:
        return warm.gpus_per_worker, "dispatch.warm.gpus_per_worker"
    node = backend_for(spec).whole_node_gpus(spec) if spec.resources.gpus else None
    if node is not None:
        partition = spec.dispatch.slurm.partition
        return node, f"dispatch.slurm.limits.{partition}.gpus_per_node (a whole node)"
    return spec.resources.gpus, "resources.gpus"


def lane_layout(spec: SweepSpec) -> LaneLayout:
    """The worker's lanes: ``W // k`` for trials of ``k`` GPUs on a worker of ``W`` (times
    ``warm.trials_per_gpu`` for trials of one GPU); ``trials_per_gpu`` per GPU (at least one
    GPU's worth) for trials of none. Raises ``ValueError`` naming the setting it refuses."""
    res, per_gpu = spec.resources, spec.dispatch.warm.trials_per_gpu
    if res.nodes > 1:
        raise ValueError(
            f"resources.nodes: {res.nodes}: dispatch.mode: warm runs each trial in a lane on "
            "one node; multi-node trials need dispatch.mode: job"
        )
    gpus, source = _worker_gpus(spec)
    k = res.gpus
    if k == 0:
        return LaneLayout(gpus, 0, per_gpu * max(gpus, 1))
    if k > 1 and per_gpu > 1:
        raise ValueError(
            f"dispatch.warm.trials_per_gpu: {per_gpu} packs trials of one GPU; trials of "
            f"resources.gpus: {k} cannot share theirs: set dispatch.warm.trials_per_gpu: 1"
        )
    if gpus < k or gpus % k:
        fit = max(gpus // k, 1) * k
        raise ValueError(
            f"{source}: {gpus}: a warm worker of {gpus} GPUs cannot be split into lanes of "
            f"resources.gpus: {k}: set dispatch.warm.gpus_per_worker to a multiple of {k} "
            f"(such as {fit})"
        )
    if k > 1 and (res.tasks_per_node or 1) > 1:
        raise ValueError(
            f"resources.tasks_per_node: {res.tasks_per_node}: a warm lane runs its trial as one "
            f"process that sees its {k} GPUs; set resources.tasks_per_node: 1, or use "
            "dispatch.mode: job for one process per rank"
        )
    if k > 1 and not spec.objective.is_function and spec.objective.launch == "per_rank":
        raise ValueError(
            "objective.launch: per_rank: a warm lane starts its trial's command once; use "
            "launch: once or per_node (torchrun), or dispatch.mode: job for one process per rank"
        )
    return LaneLayout(gpus, k, gpus // k * per_gpu)


def lane_count(spec: SweepSpec) -> int:
    """How many trials one worker job runs at once."""
    return lane_layout(spec).lanes


def lane_bindings(spec: SweepSpec, env: Mapping[str, str] | None = None) -> list[Binding]:
    """Each lane's GPUs and CPU cores, from the worker's allocation on its node
    (:func:`node_share`: the visibility variable, else Slurm's GPU indices). Lane ``i`` gets GPU
    group ``i // trials_per_gpu`` of ``W // k``, the site's cores nearest those GPUs
    (``dispatch.slurm.gpu_cpus``) or its group's share of the job's, split among the lanes that
    share the group."""
    layout = lane_layout(spec)
    share = node_share(env)
    gpus = share.gpus[: layout.worker_gpus] or tuple(str(i) for i in range(layout.worker_gpus))
    share = replace(share, gpus=gpus)
    groups = max(layout.worker_gpus // max(layout.gpus_per_lane, 1), 1)
    packed = layout.lanes // groups
    table = spec.dispatch.slurm.gpu_cpus
    bindings = []
    for lane in range(layout.lanes):
        group = binding_for(share, lane // packed, groups, table)
        cpus = share_of(group.cpus, lane % packed, packed)
        bindings.append(replace(group, cpus=cpus))
    return bindings


def lane_dirs(spec: SweepSpec, worker_id: str, lane: int) -> dict[str, str]:
    """A lane's own copy of each directory variable in ``dispatch.warm.per_lane_dirs`` (caches
    that concurrent processes must not share, e.g. MIOpen's on LUMI)."""
    base = Path(tempfile.gettempdir())
    dirs = {}
    for var in spec.dispatch.warm.per_lane_dirs:
        shared = os.environ.get(var) or str(base / f"{var.lower()}-{worker_id}")
        dirs[var] = f"{shared}-lane{lane}"
    return dirs


def run_lane(
    spec: SweepSpec,
    worker_id: str,
    lane: int,
    registry: Path,
    placement: dict[str, object] | None = None,
) -> int:
    """Claim and run trials until idle for ``idle_timeout_s`` (or told to stop); return how
    many. ``placement``: what the lane was bound to, recorded on each trial it runs."""
    warm = spec.dispatch.warm
    storage = open_storage(spec.storage_url)
    study_id = _study_id(storage, spec.study, warm.start_timeout_s)
    key = spec_key(spec)
    who = {
        "worker": worker_id,
        "lane": lane,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "process": process_identity(os.getpid()),
        "job_id": os.environ.get(JOB_ID_VAR, ""),
    }
    with contextlib.suppress(Exception):  # a broken objective fails each trial, with its reason
        if spec.objective.entry_point is not None:  # a command objective starts its own process
            import_objective(spec.objective.entry_point)  # pay imports before the first claim
    parent = os.getppid()
    deadline = float(os.environ.get(DEADLINE_VAR, "inf"))
    ran = 0
    idle_since = checked = time.monotonic()
    bell = doorbell_mtime(registry)
    spans = shared_device_spans(spec, registry, worker_id)
    while os.getppid() == parent:
        if time.time() + spec.resources.time_min * 60 > deadline:
            print(f"sweeps worker {worker_id} lane {lane}: no time left for a trial", flush=True)
            break
        if stop_requested(registry):  # before the claim: the storage may be gone already
            break
        trial = claim_published_trial(storage, study_id, key, spec.storage_url, who)
        if trial is None:
            now = time.monotonic()
            if now - idle_since > warm.idle_timeout_s:
                break
            if now - checked > BUDGET_CHECK_S:
                checked = now
                if _budget_spent(spec, storage, study_id):
                    break
            bell = wait_for_doorbell(registry, bell, warm.poll_s)
            continue
        trial_id = trial_id_of(trial)
        task = task_from_record(spec, trial.system_attrs[Key.WARM_TASK])
        beat = Heartbeat(
            storage, trial_id, warm.heartbeat_s, Key.LANE_HEARTBEAT, on_finished=_interrupt_self
        )
        if spans is not None:
            spans.mark(task.number, "start", time.time())
        try:
            with beat:
                outcome = run_trial(task, spans.share(task.number) if spans else None)
        except KeyboardInterrupt:
            if not storage.get_trial(trial_id).state.is_finished():
                raise  # a real interrupt, not the heartbeat's
            idle_since = time.monotonic()
            continue  # its controller gave up on it: free the lane for the next trial
        finally:
            if spans is not None:
                spans.mark(task.number, "end", time.time())
        record = trial.system_attrs[Key.WARM_TASK]
        _add_lane_facts(spec, outcome, worker_id, lane, record, placement or {})
        with contextlib.suppress(UpdateFinishedTrialError):  # its controller gave up on it
            storage.set_trial_system_attr(trial_id, Key.WARM_OUTCOME, outcome_record(outcome))
            flag_outcome(registry, trial_id)
        ran += 1
        idle_since = time.monotonic()
    return ran


def _add_lane_facts(
    spec: SweepSpec,
    outcome: TrialOutcome,
    worker_id: str,
    lane: int,
    record: dict[str, Any],
    placement: dict[str, object],
) -> None:
    """Which worker and lane ran the trial, the node, GPUs and cores the lane is bound to
    (``placement``: ``bound_node``, ``bound_gpus``, ``bound_cpus``) and, inside a cluster job,
    that job's facts: the lane's share of the worker's GPUs and its GPU-hours, the queue wait
    (published to claimed), and its billed share of the worker's allocation
    (sweeps.spec.facts)."""
    outcome.facts.update({Attr.WORKER: worker_id, Attr.LANE: lane, **placement})
    backend = backend_for(spec)
    run_s = float(RUNTIME_S.read(outcome.facts) or 0.0)
    gpus = spec.resources.gpus / spec.dispatch.warm.trials_per_gpu if worker_gpus(spec) else 0
    job_id = os.environ.get(JOB_ID_VAR, "")
    groups = backend.job_facts(spec, job_id, gpus, worker_gpus(spec), run_s)
    if groups is None:
        return
    published_at = record.get("published_at")
    if published_at:
        wait = round(max(0.0, time.time() - run_s - float(published_at)), 3)
        groups.setdefault(QUEUE_WAIT_S.group, {})[QUEUE_WAIT_S.name] = wait
    outcome.facts.update(groups)


def _interrupt_self() -> None:
    """Its controller has told the trial (gave up on it, or was interrupted): stop the
    objective rather than finish work nobody will read."""
    os.kill(os.getpid(), signal.SIGINT)  # wakes a sleeping main thread too


def _study_id(storage: BaseStorage, name: str, timeout_s: float) -> int:
    """The study's id, waiting for the workflow's first job to create it (workers may be
    submitted before it has)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return storage.get_study_id_from_name(name)
        except KeyError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _budget_spent(spec: SweepSpec, storage: BaseStorage, study_id: int) -> bool:
    """A budget is spent (read from the running totals), or every trial slot of the sweep
    has ended (this reads all trials: a slot can end untold, failed as lost at its last
    attempt): no trial will come."""
    spending = Spending(storage, study_id, spec.study, spec.storage_url)
    if has_budgets(spec):
        spending.ensure()
    if spent_from_totals(spec, spending) is not None:
        return True
    trials = storage.get_all_trials(study_id, deepcopy=False)
    not_counted = uncounted(storage.get_study_user_attrs(study_id))
    return slots_done(trials, spec.budget.max_retries, not_counted) >= spec.budget.n_trials


def lane_main(spec: SweepSpec, worker_id: str, lane: int, binding: Binding, folder: Path) -> None:
    """A forked lane: bind its GPUs, cores and caches, log to its own file, run trials, exit."""
    _die_with_parent()
    os.environ.update(lane_dirs(spec, worker_id, lane))
    placement = binding.facts(apply_binding(binding, os.environ))
    os.environ["SWEEPS_LANE"] = str(lane)
    log = os.open(folder / f"{worker_id}.lane{lane}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(log, 1)
    os.dup2(log, 2)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # the heartbeat's stop signal
    torch = sys.modules.get("torch")
    if torch is not None:  # imported before the fork: apply this lane's thread share
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    ran = run_lane(spec, worker_id, lane, folder, placement)
    print(f"sweeps worker {worker_id} lane {lane}: ran {ran} trials; exiting", flush=True)
    sys.exit(0)


def _die_with_parent() -> None:
    """Lanes must not outlive a killed worker job (Linux: PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
