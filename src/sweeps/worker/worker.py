"""Warm workers: a long-lived job that runs many trials, pulling each from the study.

A worker job (submitted through the sweep's executor like a trial job) imports the objective
once, then forks one lane (:mod:`sweeps.worker.lanes`) per concurrent trial: one per
``resources.gpus`` of its GPUs (``trials_per_gpu`` per GPU for trials of one), each bound to
its own GPUs through the visibility variable in force (``ROCR_VISIBLE_DEVICES`` on AMD nodes,
``CUDA_VISIBLE_DEVICES`` elsewhere) and to the CPU cores nearest them. The worker starts a
new lane in place of one that died; it exits when all lanes have.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from sweeps.job.binding import Binding
from sweeps.job.runner import import_objective
from sweeps.spec import SweepSpec
from sweeps.study.controllers import process_identity
from sweeps.worker.allocation import record_allocation
from sweeps.worker.lanes import DEADLINE_VAR, JOB_ID_VAR, lane_bindings, lane_main

MAX_LANE_RESTARTS = 10
_FORK = multiprocessing.get_context("fork")


def run_worker(spec: SweepSpec, worker_id: str, registry: str) -> dict[str, Any]:
    """The worker job: keep its lanes running until all of them have gone idle."""
    folder = Path(registry)
    folder.mkdir(parents=True, exist_ok=True)
    beat = folder / f"{worker_id}.beat"
    beat.write_text(process_identity(os.getpid()))  # a local one is seen gone at once
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
    started = time.monotonic()
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
        with contextlib.suppress(Exception):  # a figure for the report, never a failure
            record_allocation(spec, worker_id, time.monotonic() - started)
    return {"worker": worker_id, "lanes": len(bindings), "lane_restarts": restarts}


def _preload(spec: SweepSpec) -> None:
    """Import what every lane needs once, in the worker, so forked lanes start warm.

    Nothing here may open a GPU or a database connection: lanes inherit the process.
    """
    with contextlib.suppress(Exception):  # a broken objective fails each trial, with its reason
        if spec.objective.entry_point is not None:  # a command objective starts its own process
            import_objective(spec.objective.entry_point)


def _start_lane(
    spec: SweepSpec, worker_id: str, lane: int, binding: Binding, folder: Path
) -> BaseProcess:
    """Fork one lane: it inherits the worker's imports, then binds its own GPUs and cores."""
    process = _FORK.Process(
        target=lane_main,
        args=(spec, worker_id, lane, binding, folder),
        name=f"sweeps-lane-{lane}",
    )
    process.start()
    return process


def _job_id() -> str:
    try:
        import submitit

        return str(submitit.JobEnvironment().job_id)
    except RuntimeError:  # not inside a submitit job
        return ""
