"""Objectives for the Slurm tests: sleep, resume from a checkpoint, run out of memory, crash,
say which GPUs they see."""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Any

from sweeps import TrialHandle
from sweeps.job.devices import VISIBILITY_VARS


def behave(
    params: dict[str, Any], trial: TrialHandle, mode: str = "ok", seconds: float = 0
) -> float:
    """``mode``: ok (sleep ``seconds``), crash (SIGSEGV itself, as a native crash does), hog
    (allocate until killed), steps (``seconds`` one-second steps, checkpointed; a retry resumes
    where it stopped; the ranks of a multi-rank trial all-reduce once a step)."""
    if mode == "crash":
        print("about to die on purpose", flush=True)
        os.kill(os.getpid(), signal.SIGSEGV)
    if mode == "hog":
        hoard = []
        for _ in range(400):
            hoard.append(bytearray(20 * 1024 * 1024))
            time.sleep(0.05)
    if mode == "steps":
        return _steps(params, trial, int(seconds))
    time.sleep(seconds)
    return float(params["x"])


def _steps(params: dict[str, Any], trial: TrialHandle, steps: int) -> float:
    marker = trial.checkpoint_dir / "step"
    start = int(marker.read_text()) if marker.exists() else 0
    if start and trial.rank == 0:
        (trial.checkpoint_dir / "resumed").write_text(str(start))
    reduce = _all_reduce(trial) if trial.world_size > 1 else None
    for step in range(start, steps):
        time.sleep(1)
        if reduce is not None:
            reduce()
        if trial.rank == 0:  # written whole: a run requeued beside it never reads it half-done
            partial = marker.with_suffix(f".{os.getpid()}")
            partial.write_text(str(step + 1))
            partial.replace(marker)
        trial.report(float(step), step)
    return float(params["x"])


def _all_reduce(trial: TrialHandle) -> Any:
    """A collective across the trial's ranks (a rank that dies leaves the others waiting in it)."""
    import torch
    import torch.distributed as dist

    trial.init_distributed()
    return lambda: dist.all_reduce(torch.ones(1))


def by_slot(
    params: dict[str, Any],
    trial: TrialHandle,
    modes: dict[str, str] | None = None,
    seconds: dict[str, float] | None = None,
) -> float:
    """``behave`` with each slot's own mode and seconds (keys: the slot; default ok, 1 s)."""
    slot = str(trial.slot)
    return behave(params, trial, (modes or {}).get(slot, "ok"), (seconds or {}).get(slot, 1))


def sees_gpus(params: dict[str, Any], trial: TrialHandle, seconds: float = 0) -> float:
    """Logs the GPU visibility variables its process runs with (``visible GPUs: {...}``, JSON),
    then sleeps ``seconds``."""
    seen = {var: os.environ[var] for var in VISIBILITY_VARS if var in os.environ}
    trial.log.info("visible GPUs: %s", json.dumps(seen))
    time.sleep(seconds)
    return float(params["x"])
