"""Which filesystem a path lives on, from /proc/mounts (Linux)."""

from __future__ import annotations

from pathlib import Path

NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "lustre", "beegfs", "gpfs", "cifs", "smb3", "smbfs", "ceph", "fuse.sshfs"}
)


def filesystem_of(path: Path, mounts: Path = Path("/proc/mounts")) -> tuple[str, str] | None:
    """``(fstype, mount point)`` of the deepest mount holding ``path``; None if unknown."""
    try:
        lines = mounts.read_text().splitlines()
    except OSError:
        return None
    target = _existing(path.expanduser().absolute())
    best: tuple[str, str] | None = None
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == Path(point) or Path(point) in target.parents
        if inside and (best is None or len(point) > len(best[1])):
            best = (fields[2], point)
    return best


def is_network(fstype: str) -> bool:
    """Whether ``fstype`` is a network or parallel filesystem (where SQLite's locks fail)."""
    return fstype in NETWORK_FILESYSTEMS or fstype.startswith(("nfs", "fuse.gluster"))


def _existing(path: Path) -> Path:
    path = path.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
