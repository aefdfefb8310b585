"""Local execution: each trial attempt is a process started by submitit's LocalExecutor."""

from __future__ import annotations

from pathlib import Path

import submitit

from sweeps.spec import SweepSpec


def local_executor(spec: SweepSpec, folder: Path) -> submitit.Executor:
    """A LocalExecutor honouring the sweep's per-trial time limit and GPU count."""
    executor = submitit.LocalExecutor(folder=folder)
    executor.update_parameters(
        timeout_min=spec.resources.time_min, gpus_per_node=spec.resources.gpus
    )
    return executor
