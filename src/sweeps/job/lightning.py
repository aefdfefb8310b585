"""A Lightning pruning callback that works in single-process and DDP trials alike.

optuna-integration's ``PyTorchLightningPruningCallback`` asks the pruner on rank 0 only; a
sweeps handle's ``should_prune`` is a broadcast every rank joins, so in a multi-rank trial that
callback is refused by name (:func:`sweeps.job.handle.refuse_rank_zero_callbacks`) and this one
takes its place: every rank reports (rank 0's value is stored), every rank asks, and every rank
raises ``TrialPruned`` at the same epoch.
"""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import optuna

from sweeps.job.handle import TrialHandle


class PruningCallback(pl.Callback):
    """Report ``monitor`` after each validation epoch and stop the trial when the sweep's
    pruner says so (``TrialPruned``, on every rank)."""

    def __init__(self, trial: TrialHandle, monitor: str) -> None:
        super().__init__()
        self.trial = trial
        self.monitor = monitor

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        score: Any = trainer.callback_metrics.get(self.monitor)
        if score is None:  # every rank logs the same names: every rank raises
            logged = ", ".join(sorted(trainer.callback_metrics)) or "none"
            raise ValueError(
                f"PruningCallback(monitor={self.monitor!r}): the model logs no such metric "
                f"(it logs: {logged})"
            )
        epoch = pl_module.current_epoch
        self.trial.report(float(score), epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"Trial was pruned at epoch {epoch}.")
