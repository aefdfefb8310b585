"""Which process controls a trial, whether it is still alive, and which run it belongs to.

A controller records itself on the trial it works on (``host:pid:start``). Another controller
on the same host can then tell at once that it is gone (a killed Snakemake re-run from the same
login node re-attaches without waiting out the heartbeat's grace period); from another host,
only the heartbeat tells (:func:`sweeps.study.stale.heard_from_recently`). A warm lane records
itself the same way on the trial it claims.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from optuna.trial import FrozenTrial

from sweeps.study.keys import Key


def _started(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, Linux); None if not running."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def this_controller() -> str:
    """This process, as recorded on the trials it controls (not cached: a forked child is
    another controller)."""
    return process_identity(os.getpid())


def process_identity(pid: int) -> str:
    """Process ``pid`` as ``host:pid:start``: unique on its host even when pids are reused."""
    return f"{socket.gethostname()}:{pid}:{_started(pid) or ''}"


def controller_gone(trial: FrozenTrial) -> bool:
    """Whether the trial's recorded controller is known to have exited: it ran on this host
    and its process is no longer there (False when unknown)."""
    return process_gone(trial.system_attrs.get(Key.CONTROLLER))


def process_gone(recorded: object) -> bool:
    """Whether the process recorded as ``host:pid:start`` (:func:`process_identity`) is known
    to have exited: it ran on this host and is no longer there (False when unknown)."""
    if not isinstance(recorded, str) or recorded.count(":") < 2:
        return False
    host, pid, started = recorded.rsplit(":", 2)
    if host != socket.gethostname() or not pid.isdigit() or not started:
        return False
    return _started(int(pid)) != started


def this_run() -> str:
    """The Snakemake run this controller belongs to: the outermost ``snakemake`` process above
    it (itself, with controllers as threads), else this process (a controller run by hand)."""
    run, pid = os.getpid(), os.getpid()
    while pid > 1:
        if _is_snakemake(pid):
            run = pid
        parent = _parent(pid)
        if parent is None:
            break
        pid = parent
    return process_identity(run)


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _is_snakemake(pid: int) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:3]
    except OSError:
        return False
    return any(Path(arg.decode(errors="replace")).name == "snakemake" for arg in argv)
