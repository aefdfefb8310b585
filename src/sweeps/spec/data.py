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
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator

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
