"""Categorical choices drawn by their weights: RandomSampler with W&B's weighted draw.

W&B draws a categorical with ``probabilities`` as ``values[argmin(x >= cumsum(p))]`` for one
uniform ``x`` (``wandb/sweeps``, ``src/sweeps/params.py``, ``HyperParameter.ppf``,
``CATEGORICAL_PROB``); this sampler draws weighted choices the same way and every other
parameter as RandomSampler does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.trial import FrozenTrial

from sweeps.spec.model import CategoricalParam, SweepSpec

WEIGHTING_SAMPLERS = frozenset({"RandomSampler"})


def choice_weights(spec: SweepSpec) -> dict[str, list[float]]:
    """The weights of each weighted categorical of the space, by parameter name."""
    return {
        name: list(param.weights)
        for name, param in spec.space.items()
        if isinstance(param, CategoricalParam) and param.weights is not None
    }


def weighted_index(weights: Sequence[float], x: float) -> int:
    """The choice a uniform draw ``x`` in [0, 1) selects, as W&B selects it."""
    return int(np.argmin(x >= np.cumsum(weights)))


class WeightedRandomSampler(optuna.samplers.RandomSampler):
    """RandomSampler whose weighted categoricals are drawn by their weights."""

    def __init__(self, weights: dict[str, list[float]], seed: int | None = None) -> None:
        super().__init__(seed=seed)
        self._weights = weights
        self._draws = np.random.RandomState(seed)

    def reseed_rng(self) -> None:
        super().reseed_rng()
        self._draws = np.random.RandomState()

    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        weights = self._weights.get(param_name)
        if weights is None or not isinstance(param_distribution, CategoricalDistribution):
            return super().sample_independent(study, trial, param_name, param_distribution)
        return param_distribution.choices[weighted_index(weights, self._draws.uniform())]
