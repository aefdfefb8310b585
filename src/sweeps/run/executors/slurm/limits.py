"""Scheduler politeness: how many trials a sweep may keep in Slurm at once.

The cap is the sweep's ``parallelism``, lowered to what the site allows this user: the
association's MaxJobs / MaxSubmitJobs (``sacctmgr``) and the partition's QOS limits per user
(``scontrol``/``sacctmgr``), minus the jobs the user already has queued elsewhere.
"""

from __future__ import annotations

import getpass
import re
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class SiteLimits:
    """Per-user job limits read from Slurm (None: no limit found)."""

    max_jobs: int | None = None
    max_submit: int | None = None
    queued_now: int = 0

    def cap(self, parallelism: int, ours: int = 0) -> int:
        """Trials allowed in flight: never above ``parallelism``, never below 1.

        ``ours`` is how many of the jobs already queued belong to this sweep.
        """
        others = max(0, self.queued_now - ours)
        limits = [parallelism]
        if self.max_jobs is not None:  # running jobs: more would only wait in the queue
            limits.append(self.max_jobs)
        if self.max_submit is not None:
            limits.append(self.max_submit - others)
        return max(1, min(limits))


def read_limits(partition: str | None, user: str | None = None) -> SiteLimits:
    """The user's job limits on ``partition``, or no limits where Slurm cannot be asked."""
    user = user or getpass.getuser()
    max_jobs, max_submit = _association_limits(user, partition)
    qos_jobs, qos_submit = _qos_limits(partition) if partition else (None, None)
    return SiteLimits(
        max_jobs=_smallest(max_jobs, qos_jobs),
        max_submit=_smallest(max_submit, qos_submit),
        queued_now=_queued(user),
    )


def parse_assoc(text: str, partition: str | None) -> tuple[int | None, int | None]:
    """Smallest MaxJobs and MaxSubmit in ``sacctmgr -n -P ... format=Partition,MaxJobs,MaxSubmit``
    output, over the associations that apply to ``partition``."""
    jobs: list[int] = []
    submit: list[int] = []
    for line in text.splitlines():
        cells = line.strip().split("|")
        if len(cells) < 3 or (cells[0] and partition and cells[0] != partition):
            continue
        jobs += [int(cells[1])] if cells[1].isdigit() else []
        submit += [int(cells[2])] if cells[2].isdigit() else []
    return (min(jobs) if jobs else None, min(submit) if submit else None)


def _association_limits(user: str, partition: str | None) -> tuple[int | None, int | None]:
    fields = "format=Partition,MaxJobs,MaxSubmit"
    out = _ask(["sacctmgr", "-n", "-P", "show", "assoc", f"user={user}", fields])
    return parse_assoc(out, partition) if out else (None, None)


def _qos_limits(partition: str) -> tuple[int | None, int | None]:
    out = _ask(["scontrol", "-o", "show", "partition", partition])
    match = re.search(r"\bQoS=(\S+)", out or "")
    if not match or match.group(1) in {"N/A", "(null)"}:
        return None, None
    fields = "format=Name,MaxJobsPU,MaxSubmitPU"
    qos = _ask(["sacctmgr", "-n", "-P", "show", "qos", match.group(1), fields])
    return parse_assoc(qos, None) if qos else (None, None)


def _queued(user: str) -> int:
    out = _ask(["squeue", "-h", "-r", "-u", user, "-o", "%i"])
    return len(out.split()) if out else 0


def _ask(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _smallest(*values: int | None) -> int | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None
