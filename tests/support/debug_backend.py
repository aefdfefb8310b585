"""A test-only executor: trials run inside the controller's own process, through submitit's
DebugExecutor. It is all a new executor needs: this module, and one registration line."""

from __future__ import annotations

from pathlib import Path

import submitit

from sweeps.run.executors import Backend
from sweeps.spec import SweepSpec


class DebugBackend(Backend):
    """``dispatch.executor: debug``: each trial runs in the controller when its outcome is read."""

    name = "debug"

    def executor(
        self, spec: SweepSpec, folder: Path, requeueable: bool = True
    ) -> submitit.Executor:
        return submitit.DebugExecutor(folder=folder)
