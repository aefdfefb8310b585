"""Stage the sweep's data set (``data.stage``) on the trial's node once, then reuse it.

The first trial on a node copies the data set under ``data.to``; trials that start beside it
wait on a lock file (``fcntl.flock``) and find the copy done. A completion marker holds the
source's identity (its path, total size, file count and newest mtime): a later trial whose
source has the same identity reuses the copy, one whose source changed stages it again. The
controller walks the source for its identity (once per few minutes) and hands it to each
trial, so a trial that reuses the copy reads no file of the source. A
SquashFS image is mounted with ``squashfuse`` where that is on PATH (the image stays where it
is: one large file, which a parallel file system serves well), else the image file is copied.

Layout: ``<to>/sweeps-data-<user>/<name>-<hash of the source path>/`` holds ``lock``,
``staged.json`` (the marker) and ``copy/<name>`` or ``mnt/``. ``$SWEEPS_DATA`` (and a
command's ``{data}``) is the staged path. Where the site gives each job its own ``$TMPDIR``,
the copy is shared by the trials of one job (a warm worker's lanes), not of one node.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sweeps.spec import SweepSpec
from sweeps.spec.data import TO_KEY, expand_path
from sweeps.spec.facts import DATA_BYTES, DATA_METHOD, DATA_PATH, DATA_REUSED, DATA_STAGED_S

DATA_VAR = "SWEEPS_DATA"
LOCK, MARKER, COPY, MOUNT = "lock", "staged.json", "copy", "mnt"
COPIED, MOUNTED = "copied", "mounted with squashfuse"
IMAGE_COPIED = "copied the image file (squashfuse not on PATH)"


@dataclass(frozen=True)
class StagedData:
    """The data set as this trial found it on its node."""

    path: Path  # what $SWEEPS_DATA and {data} name
    bytes: int
    staged_s: float  # seconds this trial spent staging it (0 when reused)
    reused: bool
    method: str

    def facts(self) -> dict[str, Any]:
        """The trial's facts of its data (sweeps.spec.facts)."""
        return {
            DATA_PATH.key: str(self.path),
            DATA_STAGED_S.key: round(self.staged_s, 3),
            DATA_BYTES.key: self.bytes,
            DATA_REUSED.key: self.reused,
            DATA_METHOD.key: self.method,
        }


IDENTITY_TTL_S = 300.0
_identities: dict[str, tuple[float, dict[str, Any]]] = {}


def data_identity(spec: SweepSpec) -> dict[str, Any] | None:
    """The identity of the sweep's ``data.stage`` (None when it stages nothing), walked at most
    once per :data:`IDENTITY_TTL_S` in this process: a controller passes it to each trial, so
    trials compare markers without walking a data set of many files on the shared file system."""
    if spec.data.stage is None:
        return None
    source = spec.data.stage
    now = time.monotonic()
    cached = _identities.get(str(source))
    if cached is None or now - cached[0] > IDENTITY_TTL_S:
        cached = (now, source_identity(source))
        _identities[str(source)] = cached
    return cached[1]


def source_identity(source: Path) -> dict[str, Any]:
    """What tells a changed source apart: its path, total size, file count, newest mtime."""
    if not source.is_dir():
        stat = source.stat()
        size, mtime = stat.st_size, stat.st_mtime_ns
        return {"path": str(source), "bytes": size, "files": 1, "mtime_ns": mtime}
    total, files, newest = 0, 0, source.stat().st_mtime_ns
    for root, dirs, names in os.walk(source, followlinks=True):
        for name in dirs:
            newest = max(newest, os.stat(os.path.join(root, name)).st_mtime_ns)
        for name in names:
            stat = os.stat(os.path.join(root, name))
            total, files, newest = total + stat.st_size, files + 1, max(newest, stat.st_mtime_ns)
    return {"path": str(source), "bytes": total, "files": files, "mtime_ns": newest}


def staging_dir(spec: SweepSpec) -> Path:
    """Where this node keeps the sweep's staged data set, its lock and its marker."""
    source = _source(spec)
    root = expand_path(spec.data.to)
    if not os.path.isabs(root):
        raise ValueError(f"{TO_KEY} = {spec.data.to!r} expands to {root!r} on this node")
    user = os.environ.get("USER") or str(os.getuid())
    digest = hashlib.sha256(str(source).encode()).hexdigest()[:12]
    return Path(root) / f"sweeps-data-{user}" / f"{source.name}-{digest}"


def stage_data(spec: SweepSpec, identity: dict[str, Any] | None = None) -> StagedData:
    """Stage ``data.stage`` on this node unless a trial before did; set ``$SWEEPS_DATA``.

    ``identity``: the source's, as the controller found it (:func:`data_identity`); without
    it the source is walked here."""
    source = _source(spec)
    identity = identity or source_identity(source)
    home = staging_dir(spec)
    home.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    home.mkdir(exist_ok=True)
    with open(home / LOCK, "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # released when the file closes
        staged = _reusable(home, identity)
        if staged is None:
            staged = _stage(spec, source, home, identity)
    os.environ[DATA_VAR] = str(staged.path)
    return staged


def _source(spec: SweepSpec) -> Path:
    if spec.data.stage is None:
        raise ValueError("the sweep stages no data (data.stage is not set)")
    return spec.data.stage


def _reusable(home: Path, identity: dict[str, Any]) -> StagedData | None:
    """The staged copy the marker describes, if it is of this very source and still there."""
    try:
        marker = json.loads((home / MARKER).read_text())
    except (OSError, ValueError):
        return None
    path = Path(marker.get("path", ""))
    if marker.get("identity") != identity or not path.exists():
        return None
    if marker.get("method") == MOUNTED and not os.path.ismount(home / MOUNT):
        return None
    return StagedData(path, int(identity["bytes"]), 0.0, True, str(marker["method"]))


def _stage(spec: SweepSpec, source: Path, home: Path, identity: dict[str, Any]) -> StagedData:
    """Copy (or mount) the source afresh, then write the marker that says it is complete."""
    (home / MARKER).unlink(missing_ok=True)
    _clear(home)
    started = time.monotonic()
    path, method = _mount(source, home) if spec.data.is_image else (None, COPIED)
    if path is None:
        path = home / COPY / source.name
        path.parent.mkdir()
        if source.is_dir():
            shutil.copytree(source, path)
        else:
            shutil.copy2(source, path)
    staged = StagedData(path, int(identity["bytes"]), time.monotonic() - started, False, method)
    record = {"identity": identity, "path": str(path), "method": method}
    partial = home / f"{MARKER}.{os.getpid()}"
    partial.write_text(json.dumps(record))
    os.replace(partial, home / MARKER)
    return staged


def _mount(image: Path, home: Path) -> tuple[Path | None, str]:
    """Mount a SquashFS image with squashfuse: its mount point, or None and why it is copied."""
    squashfuse = shutil.which("squashfuse")
    if squashfuse is None:
        return None, IMAGE_COPIED
    point = home / MOUNT
    point.mkdir(exist_ok=True)
    done = subprocess.run(
        [squashfuse, str(image), str(point)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0 or not os.path.ismount(point):
        point.rmdir()
        why = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        return None, f"copied the image file (squashfuse failed: {why[0]})"
    return point, MOUNTED


def _clear(home: Path) -> None:
    """Remove an earlier (outdated or incomplete) copy, unmounting an earlier image."""
    point = home / MOUNT
    if os.path.ismount(point):
        for tool in ("fusermount3", "fusermount", "umount"):
            found = shutil.which(tool)
            if found:
                args = [found, str(point)] if tool == "umount" else [found, "-u", str(point)]
                subprocess.run(args, capture_output=True, check=False)
                break
    with contextlib.suppress(OSError):
        point.rmdir()
    shutil.rmtree(home / COPY, ignore_errors=True)
