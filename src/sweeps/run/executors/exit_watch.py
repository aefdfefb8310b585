"""Runs a local job's task as a child and says on stderr when a signal killed it.

submitit's local controller keeps no task's exit status, so a trial process killed by a signal
(``kill -9``, the kernel's OOM killer) would leave only its last log line behind. The local
backend starts each task as ``python exit_watch.py COMMAND...``: this script forwards the
signals the controller sends (interrupt, terminate, submitit's time-limit signal) and a closed
session's hang-up to the task, dies with it (the task gets SIGKILL if this process is
killed), and writes one line that :func:`killed_by` reads back. It is run as a file, not
imported from the package, so it starts in milliseconds.
"""

from __future__ import annotations

import contextlib
import ctypes
import re
import signal
import subprocess
import sys
from types import FrameType

KILLED_LINE = "sweeps: the trial process was killed by signal {number} ({name})"
_KILLED = re.compile(r"sweeps: the trial process was killed by signal (\d+) \((\w+)\)")
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2)
PR_SET_PDEATHSIG = 1


def killed_by(text: str) -> str | None:
    """``"killed by signal 9 (SIGKILL)"`` when ``text`` (a job's stderr) holds the line this
    script writes for a task killed by a signal, else None."""
    found = _KILLED.findall(text)
    if not found:
        return None
    number, name = found[-1]
    return f"killed by signal {number} ({name})"


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def main(command: list[str]) -> int:
    """Run ``command``, forwarding signals; its exit status (128 + N when killed by N)."""
    started: list[subprocess.Popen[bytes]] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        for task in started:
            with contextlib.suppress(ProcessLookupError):
                task.send_signal(signum)

    for signum in FORWARDED:
        signal.signal(signum, forward)
    started.append(subprocess.Popen(command, preexec_fn=_die_with_parent))
    code = started[0].wait()
    if code >= 0:
        return code
    number = -code
    print(
        KILLED_LINE.format(number=number, name=signal.Signals(number).name),
        file=sys.stderr,
        flush=True,
    )
    return 128 + number


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
