"""The example sweep's objective: fit a line by gradient descent with momentum.

Named in sweeps/example.yaml as ``train:objective``; the trial job imports it from this
directory. Replace it with your own training code.
"""

from __future__ import annotations

import random

from sweeps import TrialHandle, TrialPruned


def objective(params: dict, trial: TrialHandle, epochs: int = 10) -> float:
    """Validation loss after ``epochs`` epochs; reported each epoch so pruning can act."""
    rng = random.Random(trial.seed)
    xs = [rng.uniform(-1, 1) for _ in range(64)]
    data = [(x, 3.0 * x - 0.5 + rng.gauss(0, 0.1)) for x in xs]
    train, val = data[:48], data[48:]
    w = b = vw = vb = 0.0
    loss = float("inf")
    for epoch in range(epochs):
        for x, y in train:
            error = w * x + b - y
            vw = params["momentum"] * vw - params["lr"] * error * x
            vb = params["momentum"] * vb - params["lr"] * error
            w, b = w + vw, b + vb
        loss = sum((w * x + b - y) ** 2 for x, y in val) / len(val)
        trial.report(epoch, loss)
        if trial.should_prune():
            raise TrialPruned(f"epoch {epoch}")
    return loss
