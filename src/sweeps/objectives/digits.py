"""A PyTorch MLP on scikit-learn's bundled digits: the default sweep's objective.

The data ship inside scikit-learn (no download). The data are moved to the device once, batches
are drawn on the device, and the loop does no host synchronisation between evaluations.
"""

from __future__ import annotations

from typing import Any

from sweeps.trial.determinism import seed_torch
from sweeps.trial.handle import TrialHandle, TrialPruned

ACTIVATIONS = ("relu", "gelu", "tanh")


def train_mlp(
    params: dict[str, Any], trial: TrialHandle, epochs: int = 20, batch_size: int = 64
) -> float:
    """Train an MLP; report validation accuracy each epoch; return the final accuracy."""
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    seed_torch(trial.seed)
    device = torch.device(trial.device)
    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(
        x / 16.0, y, test_size=0.25, random_state=0, stratify=y
    )
    xt = torch.as_tensor(x_train, dtype=torch.float32, device=device)
    yt = torch.as_tensor(y_train, dtype=torch.long, device=device)
    xv = torch.as_tensor(x_val, dtype=torch.float32, device=device)
    yv = torch.as_tensor(y_val, dtype=torch.long, device=device)

    model = _mlp(xt.shape[1], params, activation=params.get("activation", "relu")).to(device)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=params["lr"], weight_decay=params.get("weight_decay", 0.0)
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    generator = torch.Generator(device=device).manual_seed(trial.seed)
    accuracy = 0.0
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(xt), device=device, generator=generator)
        for start in range(0, len(xt), batch_size):
            idx = order[start : start + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(xt[idx]), yt[idx]).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            accuracy = (model(xv).argmax(dim=1) == yv).float().mean().item()
        trial.report(epoch, accuracy)
        if trial.should_prune():
            raise TrialPruned(f"pruned after epoch {epoch} at accuracy {accuracy:.4f}")
    return accuracy


def _mlp(n_in: int, params: dict[str, Any], activation: str) -> Any:
    import torch

    act = {"relu": torch.nn.ReLU, "gelu": torch.nn.GELU, "tanh": torch.nn.Tanh}[activation]
    layers: list[torch.nn.Module] = []
    width = n_in
    for _ in range(int(params.get("layers", 1))):
        layers += [
            torch.nn.Linear(width, int(params["hidden"])),
            act(),
            torch.nn.Dropout(float(params.get("dropout", 0.0))),
        ]
        width = int(params["hidden"])
    layers.append(torch.nn.Linear(width, 10))
    return torch.nn.Sequential(*layers)
