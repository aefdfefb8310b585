"""Local execution: each trial attempt is a process started by submitit's LocalExecutor."""

from __future__ import annotations

from pathlib import Path

import submitit

from sweeps.dispatch.backend import Backend
from sweeps.job.distributed import ranks_per_node
from sweeps.spec import SweepSpec


class LocalBackend(Backend):
    """Trials as processes on this machine; jobs end with the controller that started them."""

    name = "local"

    def executor(
        self, spec: SweepSpec, folder: Path, requeueable: bool = True
    ) -> submitit.Executor:
        executor = submitit.LocalExecutor(folder=folder)
        executor.update_parameters(
            timeout_min=spec.resources.time_min,
            gpus_per_node=spec.resources.gpus,
            tasks_per_node=ranks_per_node(spec.resources.gpus, spec.resources.tasks_per_node),
        )
        return executor
