"""The ``data:`` key: a data set staged once per node before the trials read it.

``stage``: a directory or a file on the shared file system (a relative path is resolved
against the current directory when the sweep is validated). A ``.sqsh``/``.squashfs`` file
is a SquashFS image: the trial job mounts it with ``squashfuse`` where that program is on
PATH, else copies the image file itself. ``to``: the node-local root the copy goes under,
expanded on the node (``${VAR:-default}``, ``$VAR``, ``~``); default ``${TMPDIR:-/tmp}``.
``ram``: whether ``to`` is held in memory (LUMI's /tmp is, and counts against the job's
memory); left out, it is read from /proc/mounts (tmpfs, ramfs) where ``to`` exists when the
sweep is validated.

When ``to`` is RAM-backed, a data set larger than the trial's memory is refused before
anything is submitted. The trial's memory is ``dispatch.slurm.mem_per_gpu`` x its GPUs where
that is set, else ``dispatch.slurm.mem_per_cpu`` x its CPUs, else ``resources.mem_gb``. An
image that ``squashfuse`` (on PATH where the sweep is validated) will mount is not copied, so
it is not checked.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, field_validator

if TYPE_CHECKING:
    from sweeps.spec.model import SweepSpec

DEFAULT_TO = "${TMPDIR:-/tmp}"
IMAGE_SUFFIXES = (".sqsh", ".squashfs")
RAM_FILESYSTEMS = frozenset({"tmpfs", "ramfs"})
MOUNTS = Path("/proc/mounts")
SECTION = "data"  # the sweep file's key (its facts share the name: sweeps.spec.facts)
STAGE_KEY = f"{SECTION}.stage"
TO_KEY = f"{SECTION}.to"
_VARIABLE = re.compile(r"\$\{([A-Za-z_]\w*)(?::-([^}]*))?\}|\$([A-Za-z_]\w*)")
_SLURM_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)B?\s*$", re.IGNORECASE)
_SLURM_UNIT_GB = {"K": 1 / 1024**2, "M": 1 / 1024, "": 1 / 1024, "G": 1.0, "T": 1024.0}


class DataSpec(BaseModel):
    """A data set to copy to each trial's node once (``data.stage``), and where (``data.to``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stage: Path | None = None
    to: str = DEFAULT_TO
    ram: bool | None = None

    @field_validator("stage")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        """A relative path is the current directory's: the trial jobs run elsewhere."""
        if value is None:
            return None
        value = value.expanduser()
        return value if value.is_absolute() else Path.cwd() / value

    @property
    def is_image(self) -> bool:
        """Whether ``stage`` is a SquashFS image (mounted where ``squashfuse`` is found)."""
        return self.stage is not None and self.stage.suffix.lower() in IMAGE_SUFFIXES


def expand_path(text: str, env: dict[str, str] | None = None) -> str:
    """``text`` with ``${VAR:-default}``, ``${VAR}``, ``$VAR`` and a leading ``~`` expanded as
    a POSIX shell would (an unset variable without a default is left as written)."""
    environ = dict(os.environ) if env is None else env

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        found = environ.get(name)
        if match.group(2) is not None:
            return found or match.group(2)
        return found if found is not None else match.group(0)

    return os.path.expanduser(_VARIABLE.sub(value, text))


def data_bytes(path: Path) -> int:
    """The size of a file, or of every file under a directory (links followed)."""
    if not path.is_dir():
        return path.stat().st_size
    total = 0
    for root, _, files in os.walk(path, followlinks=True):
        total += sum(os.stat(os.path.join(root, name)).st_size for name in files)
    return total


def filesystem_type(path: Path, mounts: Path = MOUNTS) -> str | None:
    """The type of the file system ``path`` lies on, by its longest mount point in
    ``mounts``; None where that cannot be read."""
    try:
        lines = mounts.read_text().splitlines()
    except OSError:
        return None
    target = os.path.realpath(path)
    best, kind = "", None
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind


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
