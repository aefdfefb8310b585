"""The handle an objective receives: report progress, ask whether to stop, know its place."""

from __future__ import annotations

import logging
import math
import os
from functools import cached_property
from pathlib import Path
from typing import Any

import optuna

from sweeps.spec.samplers import build_pruner
from sweeps.storage import open_storage
from sweeps.trial.task import TrialTask

TrialPruned = optuna.TrialPruned


class TrialHandle:
    """What an objective may use: ``report``, ``should_prune``, ``device``, ``seed``, ``log``.

    Intermediate values go straight to the study so the pruner and the dashboard see them live.
    A step reported by an earlier attempt of the same trial (resumed from a checkpoint) is not
    reported twice.
    """

    def __init__(self, task: TrialTask) -> None:
        self._task = task
        self.number = task.number
        self.params = dict(task.params)
        self.seed = task.seed
        self.log = logging.getLogger(f"sweeps.trial.{task.number}")
        self.last_step: int | None = None

    @cached_property
    def _trial(self) -> optuna.Trial:
        spec = self._task.spec
        study = optuna.load_study(
            study_name=spec.study,
            storage=open_storage(spec.storage_url),
            sampler=optuna.samplers.RandomSampler(),
            pruner=build_pruner(spec),
        )
        return optuna.Trial(study, self._task.trial_id)

    @cached_property
    def checkpoint_dir(self) -> Path:
        """A directory that survives requeues and retries of this trial."""
        path = Path(self._task.checkpoint_dir)
        path.mkdir(parents=True, exist_ok=True)
        return path

    @cached_property
    def device(self) -> str:
        """``cuda`` (also ROCm builds) when the trial was given a GPU and torch sees one."""
        if self._task.spec.resources.gpus == 0:
            return "cpu"
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    def report(self, step: int, value: float) -> None:
        """Record an intermediate value at ``step`` (an epoch, say)."""
        value = float(value)
        self.last_step = step
        if step in self._reported_steps or math.isnan(value):
            return
        self._trial.report(value, step)
        self._reported_steps.add(step)

    def should_prune(self) -> bool:
        """Whether the pruner would stop this trial now."""
        return self._trial.should_prune()

    @cached_property
    def _reported_steps(self) -> set[int]:
        return set(self._trial.storage.get_trial(self._task.trial_id).intermediate_values)

    def environment(self) -> dict[str, Any]:
        """The accelerator visibility this trial was given."""
        keys = ("CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES")
        return {k: os.environ[k] for k in keys if k in os.environ}
