"""Expected best-of-n of random search and its bootstrap confidence interval (benchmarks)."""

from __future__ import annotations

import numpy as np


def expected_best(losses: np.ndarray, n: int, clip: float | None = None) -> float:
    """E[min of n draws with replacement] from the empirical distribution of ``losses``.

    With ``clip``, each best-so-far is clipped at ``clip`` first (bayesmark's ``mean``).
    """
    y = np.sort(np.asarray(losses, dtype=float))
    if clip is not None:
        y = np.minimum(y, clip)
    size = len(y)
    ranks = np.arange(size)
    weights = ((size - ranks) / size) ** n - ((size - ranks - 1) / size) ** n
    return float(np.dot(weights, y))


def bootstrap_ci(
    losses: np.ndarray,
    n: int,
    clip: float | None,
    rng: np.random.Generator,
    resamples: int = 2000,
    level: float = 0.95,
) -> tuple[float, float]:
    """A percentile bootstrap interval of :func:`expected_best`."""
    losses = np.asarray(losses, dtype=float)
    draws = rng.integers(0, len(losses), size=(resamples, len(losses)))
    estimates = [expected_best(losses[row], n, clip) for row in draws]
    tail = (1 - level) / 2
    low, high = np.quantile(estimates, [tail, 1 - tail])
    return float(low), float(high)
