"""A controller that has exited, for tests of what a slot's next run does with its trials."""

from __future__ import annotations

import socket
import subprocess


def exited_controller() -> str:
    """The ``sweeps:controller`` record of a process of this host that has exited."""
    process = subprocess.Popen(["true"])
    process.wait()
    return f"{socket.gethostname()}:{process.pid}:1"
