"""GPU visibility for CUDA and ROCm: which devices a process sees, and binding one per trial.

ROCm builds of torch also use ``torch.cuda``. On AMD nodes (LUMI) Slurm and the containers set
``ROCR_VISIBLE_DEVICES`` (or ``HIP_VISIBLE_DEVICES``); elsewhere ``CUDA_VISIBLE_DEVICES``.
Binding a packed trial to its own device narrows the variable that is already in force, so the
index is always relative to what the job was given.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

VISIBILITY_VARS = ("ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES")


def visibility_var(env: Mapping[str, str] | None = None) -> str:
    """The variable that decides GPU visibility here: the first one set, else by vendor."""
    env = os.environ if env is None else env
    for var in VISIBILITY_VARS:
        if env.get(var):
            return var
    return "ROCR_VISIBLE_DEVICES" if Path("/dev/kfd").exists() else "CUDA_VISIBLE_DEVICES"


def visible_devices(env: Mapping[str, str] | None = None, count: int = 0) -> list[str]:
    """The device ids this process may use (``count`` ids ``0..count-1`` when none is set)."""
    env = os.environ if env is None else env
    value = env.get(visibility_var(env), "")
    if value:
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(i) for i in range(count)]


def bind_env(devices: list[str], env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment updates that restrict a child process to ``devices`` (ids as visible here)."""
    return {visibility_var(env): ",".join(devices)}


def torch_device(gpus: int) -> str:
    """``cpu`` without GPUs; else ``cuda:<LOCAL_RANK>`` (or ``cuda:0``) when torch sees one."""
    if gpus == 0:
        return "cpu"
    import torch

    if not torch.cuda.is_available():
        return "cpu"
    local = int(os.environ.get("LOCAL_RANK", "0"))
    return f"cuda:{local % torch.cuda.device_count()}"
