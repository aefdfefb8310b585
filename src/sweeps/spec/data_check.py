"""Checking a sweep's ``data.stage`` against the trial's memory, before anything runs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from sweeps.spec.data import (
    _SLURM_SIZE,
    _SLURM_UNIT_GB,
    MOUNTS,
    RAM_FILESYSTEMS,
    SECTION,
    STAGE_KEY,
    TO_KEY,
    data_bytes,
    expand_path,
    filesystem_type,
)
from sweeps.spec.model import SweepSpec


def trial_memory_gb(spec: SweepSpec) -> tuple[float, str]:
    """The memory one trial may use (GB) and the setting that gives it."""
    slurm, resources = spec.dispatch.slurm, spec.resources
    gpus = resources.gpus if slurm.gpus_per_node is None else slurm.gpus_per_node
    for setting, flag, count in (
        ("mem_per_gpu", slurm.mem_per_gpu, gpus),
        ("mem_per_cpu", slurm.mem_per_cpu, slurm.cpus_per_task or resources.cpus),
    ):
        per = _slurm_gb(flag)
        if per is not None and count:
            return per * count, f"dispatch.slurm.{setting} {flag} x {count}"
    return resources.mem_gb, f"resources.mem_gb {resources.mem_gb:g}"


def check_data(spec: SweepSpec, mounts: Path = MOUNTS) -> list[tuple[str, Any, str]]:
    """What is wrong with the sweep's ``data``: a missing source, a destination that is not
    absolute, a data set that does not fit in the memory of a RAM-backed destination."""
    data = spec.data
    if data.stage is None:
        return []
    if not data.stage.exists():
        return [(STAGE_KEY, str(data.stage), "does not exist (a directory or a file to stage)")]
    root = expand_path(data.to)
    if not os.path.isabs(root):
        return [(TO_KEY, data.to, f"expands to {root!r} here: give an absolute directory")]
    ram, why = data.ram, f"{SECTION}.ram is true"
    if ram is None:
        kind = filesystem_type(Path(root), mounts) if os.path.isdir(root) else None
        ram, why = kind in RAM_FILESYSTEMS, f"{root} is {kind}"
    if not ram or (data.is_image and shutil.which("squashfuse")):
        return []
    size = data_bytes(data.stage)
    limit_gb, source = trial_memory_gb(spec)
    if size <= limit_gb * 1024**3:
        return []
    return [
        (
            STAGE_KEY,
            str(data.stage),
            f"{size / 1024**3:.2f} GB ({size} bytes) does not fit in the trial's memory, "
            f"{limit_gb:g} GB ({source}): the copy goes to RAM ({why}) and counts against it; "
            "stage to a disk-backed data.to, give the trial more memory or stage a SquashFS "
            "image",
        )
    ]


def _slurm_gb(flag: str | None) -> float | None:
    """A Slurm memory size (``60G``, ``8000M``, ``8000``: megabytes) in GB; None if unreadable."""
    found = _SLURM_SIZE.match(flag or "")
    if found is None:
        return None
    return float(found.group(1)) * _SLURM_UNIT_GB[found.group(2).upper()]
