"""Local execution: each trial attempt is a process started by submitit's LocalExecutor."""

from __future__ import annotations

from pathlib import Path

import submitit

from sweeps.spec import SweepSpec
from sweeps.trial.distributed import ranks_per_node


def local_executor(spec: SweepSpec, folder: Path) -> submitit.Executor:
    """A LocalExecutor honouring the sweep's per-trial time limit and GPU count."""
    executor = submitit.LocalExecutor(folder=folder)
    executor.update_parameters(
        timeout_min=spec.resources.time_min,
        gpus_per_node=spec.resources.gpus,
        tasks_per_node=ranks_per_node(spec.resources.gpus, spec.resources.tasks_per_node),
    )
    return executor
