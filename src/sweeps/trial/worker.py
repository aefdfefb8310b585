"""Warm workers: a long-lived job that runs many trials, pulling each from the study.

A worker job (submitted through submitit like a trial job) imports the objective once, then
forks one *lane* process per concurrent trial: ``trials_per_gpu`` per GPU, each lane bound to
its own GPU through the visibility variable in force (``ROCR_VISIBLE_DEVICES`` on LUMI,
``CUDA_VISIBLE_DEVICES`` elsewhere). A lane claims WAITING trials of its sweep one
after another, beating a heartbeat on the trial it runs and recording the outcome there for the
trial's controller, which alone tells the study. A lane that dies takes only its trial down (its
controller sees the heartbeat stop and retries the slot); the worker starts a new lane in its
place. Lanes exit after ``idle_timeout_s`` without work; the worker exits when all lanes have.

Run ``python -m sweeps.trial.worker SPEC_JSON WORKER_ID LANE REGISTRY`` to start one lane by hand.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import multiprocessing
import os
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import BaseStorage

from sweeps.spec import SweepSpec
from sweeps.storage import open_storage
from sweeps.study.slots import slots_done
from sweeps.trial.devices import bind_env, visible_devices
from sweeps.trial.queue import (
    HEARTBEAT,
    OUTCOME,
    TASK,
    claim,
    outcome_record,
    spec_key,
    task_from_record,
)
from sweeps.trial.runner import import_objective, run_trial
from sweeps.trial.signals import doorbell_mtime, flag_outcome, wait_for_doorbell

MAX_LANE_RESTARTS = 10
JOB_ID_VAR = "SWEEPS_WORKER_JOB_ID"
DEADLINE_VAR = "SWEEPS_WORKER_DEADLINE"
STOP_FILE = "STOP"
_FORK = multiprocessing.get_context("fork")
BUDGET_CHECK_S = 2.0  # an idle lane checks this often whether the sweep's budget is spent


def worker_gpus(spec: SweepSpec) -> int:
    """GPUs one worker job holds."""
    warm = spec.dispatch.warm
    return spec.resources.gpus if warm.gpus_per_worker is None else warm.gpus_per_worker


def lane_bindings(spec: SweepSpec, env: dict[str, str] | None = None) -> list[dict[str, str]]:
    """One environment update per lane: ``trials_per_gpu`` lanes on each of the worker's GPUs."""
    if spec.resources.gpus > 1 or spec.resources.nodes > 1:
        raise ValueError(
            f"dispatch.mode: warm runs trials of at most one GPU on one node; the sweep asks for "
            f"resources.gpus={spec.resources.gpus}, resources.nodes={spec.resources.nodes} "
            "(use dispatch.mode: job for multi-GPU trials)"
        )
    per_gpu = spec.dispatch.warm.trials_per_gpu
    gpus = worker_gpus(spec)
    if gpus == 0:
        return [{} for _ in range(per_gpu)]
    devices = visible_devices(env, count=gpus)[:gpus]
    return [bind_env([device], env) for device in devices for _ in range(per_gpu)]


def serve(spec: SweepSpec, worker_id: str, registry: str) -> dict[str, Any]:
    """The worker job: keep its lanes running until all of them have gone idle."""
    folder = Path(registry)
    folder.mkdir(parents=True, exist_ok=True)
    beat = folder / f"{worker_id}.beat"
    beat.touch()
    threads = str(spec.resources.cpus)  # each lane's share, set before torch is imported
    os.environ.update(
        {
            "OMP_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
            "OPENBLAS_NUM_THREADS": threads,
            **os.environ,
            JOB_ID_VAR: _job_id(),
            # Lanes take no trial they cannot finish before the job's time limit.
            DEADLINE_VAR: str(time.time() + spec.dispatch.warm.time_min * 60),
        }
    )
    _preload(spec)
    lanes: dict[int, BaseProcess] = {}
    bindings = lane_bindings(spec)
    restarts = 0
    try:
        for lane, binding in enumerate(bindings):
            lanes[lane] = _start_lane(spec, worker_id, lane, binding, folder)
        while lanes:
            beat.touch()
            for lane, proc in list(lanes.items()):
                code = proc.exitcode
                if code is None:
                    continue
                del lanes[lane]
                if code != 0 and restarts < MAX_LANE_RESTARTS:
                    restarts += 1
                    lanes[lane] = _start_lane(spec, worker_id, lane, bindings[lane], folder)
            time.sleep(min(spec.dispatch.warm.heartbeat_s, 1.0))
    finally:
        for proc in lanes.values():
            proc.terminate()
        beat.unlink(missing_ok=True)
        (folder / f"{worker_id}.json").unlink(missing_ok=True)
    return {"worker": worker_id, "lanes": len(bindings), "lane_restarts": restarts}


def run_lane(spec: SweepSpec, worker_id: str, lane: int, registry: Path) -> int:
    """Claim and run trials until idle for ``idle_timeout_s`` (or told to stop); return how many."""
    warm = spec.dispatch.warm
    storage = open_storage(spec.storage_url)
    study_id = _study_id(storage, spec.study, warm.start_timeout_s)
    key = spec_key(spec)
    who = {
        "worker": worker_id,
        "lane": lane,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "job_id": os.environ.get(JOB_ID_VAR, ""),
    }
    with contextlib.suppress(Exception):  # a broken objective fails each trial, with its reason
        import_objective(spec.objective.function)  # pay imports before the first claim
    parent = os.getppid()
    deadline = float(os.environ.get(DEADLINE_VAR, "inf"))
    ran = 0
    idle_since = checked = time.monotonic()
    bell = doorbell_mtime(registry)
    while os.getppid() == parent:
        if time.time() + spec.resources.time_min * 60 > deadline:
            print(f"sweeps worker {worker_id} lane {lane}: no time left for a trial", flush=True)
            break
        trial = claim(storage, study_id, key, spec.storage_url, who)
        if trial is None:
            now = time.monotonic()
            idle = now - idle_since > warm.idle_timeout_s
            if idle or (registry / STOP_FILE).exists():
                break
            if now - checked > BUDGET_CHECK_S:
                checked = now
                if _budget_spent(spec, storage, study_id):
                    break
            bell = wait_for_doorbell(registry, bell, warm.poll_s)
            continue
        task = task_from_record(spec, trial.system_attrs[TASK])
        try:
            with _heartbeat(storage, trial._trial_id, warm.heartbeat_s):
                outcome = run_trial(task)
        except KeyboardInterrupt:
            if not storage.get_trial(trial._trial_id).state.is_finished():
                raise  # a real interrupt, not the heartbeat's
            idle_since = time.monotonic()
            continue  # its controller gave up on it: free the lane for the next trial
        outcome.facts.update({"worker": worker_id, "lane": lane})
        slurm = slurm_lane_facts(spec, outcome, trial.system_attrs[TASK].get("published_at"))
        if slurm:
            outcome.facts["slurm"] = slurm
        with contextlib.suppress(UpdateFinishedTrialError):  # its controller gave up on it
            storage.set_trial_system_attr(trial._trial_id, OUTCOME, outcome_record(outcome))
            flag_outcome(registry, trial._trial_id)
        ran += 1
        idle_since = time.monotonic()
    return ran


def slurm_lane_facts(
    spec: SweepSpec, outcome: Any, published_at: float | None
) -> dict[str, Any] | None:
    """The Slurm facts of a trial a lane ran (None outside Slurm): the worker job's id,
    partition and node, the lane's share of GPUs and its GPU-hours, and the queue wait
    (published to claimed)."""
    if not os.environ.get("SLURM_JOB_ID"):
        return None
    job_id = os.environ.get(JOB_ID_VAR) or os.environ["SLURM_JOB_ID"]
    run_s = float(outcome.facts.get("runtime_s", 0.0))
    gpus = spec.resources.gpus / spec.dispatch.warm.trials_per_gpu if worker_gpus(spec) else 0
    facts: dict[str, Any] = {
        "job_id": job_id,
        "partition": os.environ.get("SLURM_JOB_PARTITION", ""),
        "node": os.environ.get("SLURMD_NODENAME", ""),
        "gpus": gpus,
        "state": "RUNNING",  # the worker job's state; it goes on to the next trial
        "requeues": int(os.environ.get("SLURM_RESTART_COUNT", 0)),
        "run_time_s": round(run_s),
        "gpu_hours": round(gpus * run_s / 3600, 6),
    }
    _, sep, index = job_id.partition("_")
    if sep and index.isdigit():
        facts["array_index"] = int(index)
    if published_at:
        facts["queue_wait_s"] = round(max(0.0, time.time() - run_s - float(published_at)), 3)
    return facts


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
    """Every trial slot of the sweep has ended: no trial will come."""
    trials = storage.get_all_trials(study_id, deepcopy=False)
    return slots_done(trials, spec.budget.max_retries) >= spec.budget.n_trials


@contextlib.contextmanager
def _heartbeat(storage: BaseStorage, trial_id: int, every_s: float) -> Iterator[None]:
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every_s):
            try:
                storage.set_trial_system_attr(trial_id, HEARTBEAT, time.time())
            except UpdateFinishedTrialError:
                # Its controller has told the trial (gave up on it, or was interrupted):
                # stop the objective rather than finish work nobody will read.
                if not stop.is_set():
                    os.kill(os.getpid(), signal.SIGINT)  # wakes a sleeping main thread too
                return
            except Exception as err:  # a storage hiccup: the next beat may get through
                print(f"sweeps worker: heartbeat failed: {err}", file=sys.stderr, flush=True)

    thread = threading.Thread(target=beat, name=f"heartbeat-{trial_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _preload(spec: SweepSpec) -> None:
    """Import what every lane needs once, in the worker, so forked lanes start warm.

    Nothing here may open a GPU or a database connection: lanes inherit the process.
    """
    with contextlib.suppress(Exception):  # a broken objective fails each trial, with its reason
        import_objective(spec.objective.function)


def _start_lane(
    spec: SweepSpec, worker_id: str, lane: int, binding: dict[str, str], folder: Path
) -> BaseProcess:
    """Fork one lane: it inherits the worker's imports, then binds its own device."""
    process = _FORK.Process(
        target=_lane_main,
        args=(spec, worker_id, lane, binding, folder),
        name=f"sweeps-lane-{lane}",
    )
    process.start()
    return process


def _lane_main(
    spec: SweepSpec, worker_id: str, lane: int, binding: dict[str, str], folder: Path
) -> None:
    _die_with_parent()
    # MIOpen's SQLite caches fail on Lustre and must not be shared by concurrent lanes (ROCm).
    miopen = str(Path(tempfile.gettempdir()) / f"miopen-{worker_id}-{lane}")
    os.environ.update({"MIOPEN_USER_DB_PATH": miopen, "MIOPEN_CUSTOM_CACHE_DIR": miopen, **binding})
    os.environ["SWEEPS_LANE"] = str(lane)
    log = os.open(folder / f"{worker_id}.lane{lane}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(log, 1)
    os.dup2(log, 2)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # the heartbeat's stop signal
    torch = sys.modules.get("torch")
    if torch is not None:  # imported before the fork: apply this lane's thread share
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    ran = run_lane(spec, worker_id, lane, folder)
    print(f"sweeps worker {worker_id} lane {lane}: ran {ran} trials; exiting", flush=True)
    sys.exit(0)


def _die_with_parent() -> None:
    """Lanes must not outlive a killed worker job (Linux: PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def _job_id() -> str:
    try:
        import submitit

        return str(submitit.JobEnvironment().job_id)
    except RuntimeError:  # not inside a submitit job
        return ""


def main(argv: list[str]) -> int:
    """Entry point of one lane: ``SPEC_JSON WORKER_ID LANE REGISTRY``."""
    spec_file, worker_id, lane, registry = argv
    signal.signal(signal.SIGINT, signal.default_int_handler)  # the heartbeat's stop signal
    spec = SweepSpec.model_validate(json.loads(Path(spec_file).read_text()))
    ran = run_lane(spec, worker_id, int(lane), Path(registry))
    print(f"sweeps worker {worker_id} lane {lane}: ran {ran} trials, idle; exiting", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
