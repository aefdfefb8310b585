"""Processes on this machine, found by parent and command line."""

from __future__ import annotations

from pathlib import Path


def child_running(parent: int, marker: bytes, other_than: int | None = None) -> int | None:
    """The pid of a process of ``parent`` whose command line holds ``marker`` (not
    ``other_than``), if one runs."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == other_than:
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and marker in command:
            return int(entry.name)
    return None
