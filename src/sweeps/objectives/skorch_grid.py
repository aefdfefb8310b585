"""The skorch ``Basic_Usage`` notebook's grid search, as a sweep objective (PyTorch on CPU).

skorch-dev/skorch ``notebooks/Basic_Usage.ipynb``: ``GridSearchCV`` of an MLP
(Linear 20->num_units, ReLU, Dropout, Linear ->10, ReLU, Linear ->2, softmax) trained with SGD
(momentum 0.9, 20 epochs, batch size 128, no validation split) on
``make_classification(1000, 20, n_informative=10, random_state=0)``, scored by 3-fold
(unshuffled, stratified) CV accuracy. One trial = one grid point; its seed seeds torch.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from sweeps.job.handle import TrialHandle
from sweeps.job.seeding import seed_everything

EPOCHS = 20
BATCH_SIZE = 128


@cache
def data() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_classification

    x, y = make_classification(1000, 20, n_informative=10, random_state=0)
    return x.astype(np.float32), y.astype(np.int64)


def cv_accuracy(params: dict[str, Any], trial: TrialHandle, folds: int = 3) -> float:
    """Mean 3-fold CV accuracy of the notebook's module for one grid point."""
    import torch
    from sklearn.model_selection import StratifiedKFold

    seed_everything(trial.seed, reproducible=True)
    torch.set_num_threads(1)
    x, y = data()
    scores = []
    for fold, (train, test) in enumerate(StratifiedKFold(folds).split(x, y)):
        model = _module(int(params["num_units"]), float(params["dropout"]))
        _fit(model, x[train], y[train], params, seed=trial.seed + fold)
        model.eval()
        with torch.no_grad():
            predicted = model(torch.from_numpy(x[test])).argmax(dim=1).numpy()
        scores.append(float((predicted == y[test]).mean()))
        trial.report(float(np.mean(scores)), fold)
    return float(np.mean(scores))


def _module(num_units: int, dropout: float) -> Any:
    import torch

    return torch.nn.Sequential(
        torch.nn.Linear(20, num_units),
        torch.nn.ReLU(),
        torch.nn.Dropout(dropout),
        torch.nn.Linear(num_units, 10),
        torch.nn.ReLU(),
        torch.nn.Linear(10, 2),
        torch.nn.Softmax(dim=-1),
    )


def _fit(model: Any, x: np.ndarray, y: np.ndarray, params: dict[str, Any], seed: int) -> None:
    """skorch's NeuralNetClassifier loop: shuffled batches, NLL of the softmax output."""
    import torch

    optimizer = torch.optim.SGD(
        model.parameters(), lr=float(params["lr"]), momentum=0.9, nesterov=bool(params["nesterov"])
    )
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(EPOCHS):
        order = torch.randperm(len(xt), generator=generator)
        for start in range(0, len(xt), BATCH_SIZE):
            idx = order[start : start + BATCH_SIZE]
            optimizer.zero_grad(set_to_none=True)
            probabilities = model(xt[idx])
            loss = torch.nn.functional.nll_loss(torch.log(probabilities + 1e-12), yt[idx])
            loss.backward()
            optimizer.step()
