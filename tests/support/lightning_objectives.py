"""A PyTorch Lightning objective pruned through optuna-integration's callback (CPU, seconds)."""

from __future__ import annotations

import warnings
from typing import Any

from sweeps import TrialHandle


def linear_regression(params: dict[str, Any], trial: TrialHandle, epochs: int = 4) -> float:
    """Fit y = Xw by full-batch SGD at ``params['lr']``; the callback reports ``val_loss`` per
    epoch to the handle and raises ``TrialPruned`` when the sweep's pruner says so."""
    from optuna_integration import PyTorchLightningPruningCallback

    callback = PyTorchLightningPruningCallback(trial, monitor="val_loss")
    trainer = _trainer(trial, epochs, callback, devices=1)
    model, data = _regression(params)
    trainer.fit(model, train_dataloaders=data, val_dataloaders=data)
    return float(trainer.callback_metrics["val_loss"])


def _regression(params: dict[str, Any]) -> tuple[Any, Any]:
    """A linear model and the same 64 points for every trial."""
    import lightning.pytorch as pl
    import torch

    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=generator)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 0.1 * torch.randn(64, generator=generator)
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=64)

    class Model(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(4, 1)

        def loss(self, batch: Any) -> Any:
            xb, yb = batch
            return torch.nn.functional.mse_loss(self.layer(xb).squeeze(-1), yb)

        def training_step(self, batch: Any, index: int) -> Any:
            return self.loss(batch)

        def validation_step(self, batch: Any, index: int) -> None:
            self.log("val_loss", self.loss(batch), sync_dist=True)

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=params["lr"])

    return Model(), data


def ddp_regression(
    params: dict[str, Any], trial: TrialHandle, epochs: int = 4, callback: str = "sweeps"
) -> float:
    """``linear_regression`` as a 2-process DDP fit on the CPU (gloo), one process per rank of
    the trial, pruned through ``callback``: sweeps' own, or optuna-integration's."""

    from sweeps.job.lightning import PruningCallback

    if callback == "sweeps":
        pruning: Any = PruningCallback(trial, monitor="val_loss")
    else:
        from optuna_integration import PyTorchLightningPruningCallback

        pruning = PyTorchLightningPruningCallback(trial, monitor="val_loss")
    trainer = _trainer(
        trial,
        epochs,
        pruning,
        strategy="ddp",
        devices=trial.local_world_size,
        num_nodes=trial.world_size // trial.local_world_size,
    )
    model, data = _regression(params)
    trainer.fit(model, train_dataloaders=data, val_dataloaders=data)
    return float(trainer.callback_metrics["val_loss"])


def _trainer(trial: TrialHandle, epochs: int, pruning: Any, **placement: Any) -> Any:
    """A quiet CPU trainer with the pruning callback, seeded by the trial."""
    import lightning.pytorch as pl
    import torch

    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    torch.manual_seed(trial.seed)
    return pl.Trainer(
        max_epochs=epochs,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        log_every_n_steps=1,
        callbacks=[pruning],
        **placement,
    )
