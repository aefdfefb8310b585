"""W&B's hyperband early termination as an Optuna pruner.

Reproduces ``hyperband_stop_runs`` of W&B's sweep controller (``wandb/sweeps``,
``src/sweeps/hyperband_stopping.py``) decision for decision:

- bands: ``int(max_iter / eta**k)`` for k = 1..s while at least 1 (``max_iter`` wins when both
  are given), else ``int(min_iter * eta**k)`` for k = 0..99;
- a run's history is its reported values in step order, non-finite values left out; maximised
  metrics are negated;
- on every poll the threshold of a band ``b`` is ``sorted(v)[int((1/eta) * len(v))]`` over the
  ``b``-th value of every trial of the study (any state) that has one;
- a running trial is judged at the last band its history has reached: ``strict`` (W&B's
  default) compares its value at that band, otherwise its best value so far; it is stopped
  when that is above the threshold.
"""

from __future__ import annotations

import math
from typing import TypeGuard

import optuna
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial


class WandbHyperbandPruner(optuna.pruners.BasePruner):
    """Stop a trial exactly when W&B's hyperband controller would stop its run."""

    def __init__(
        self,
        min_iter: int | None = None,
        max_iter: int | None = None,
        s: int | None = None,
        eta: float = 3,
        strict: bool = True,
    ) -> None:
        for name, value in (("min_iter", min_iter), ("max_iter", max_iter)):
            if value is not None and not _is_int(value):
                raise ValueError(f"{name} must be an integer, got {value!r}")
        if not isinstance(strict, bool):
            raise ValueError(f"strict must be true or false, got {strict!r}")
        if isinstance(eta, bool) or not isinstance(eta, int | float) or not eta > 1:
            raise ValueError(f"eta must be a number greater than 1, got {eta!r}")
        self._eta, self._strict = eta, strict
        self._bands = _bands(min_iter, max_iter, s, eta)
        self._finished: dict[tuple[str, int, int], float | None] = {}

    @property
    def bands(self) -> list[int]:
        """The iterations (1-based counts of reported values) at which trials are judged."""
        return list(self._bands)

    def _value_at(self, study: str, trial: FrozenTrial, band: int) -> float | None:
        """The trial's ``band``-th finite value (None if it has fewer); a finished trial's
        history no longer changes, so its values are kept."""
        key = (study, trial.number, band)
        if key in self._finished:
            return self._finished[key]
        past = history(trial, 1.0)
        value = past[band - 1] if len(past) >= band else None
        if trial.state.is_finished():
            self._finished[key] = value
        return value

    def prune(self, study: optuna.Study, trial: FrozenTrial) -> bool:
        sign = -1.0 if study.direction == StudyDirection.MAXIMIZE else 1.0
        own = history(trial, sign)
        reached = [band for band in self._bands if band <= len(own)]
        if not reached:
            return False
        band = reached[-1]
        values = [own[band - 1]]
        for other in study.get_trials(deepcopy=False):
            if other.number != trial.number and len(other.intermediate_values) >= band:
                value = self._value_at(study.study_name, other, band)
                if value is not None:
                    values.append(sign * value)
        threshold = sorted(values)[int((1.0 / self._eta) * len(values))]
        judged = own[band - 1] if self._strict else min(own)
        return judged > threshold


def history(trial: FrozenTrial, sign: float) -> list[float]:
    """W&B's ``metric_history(filter_invalid=True)``: finite values in step order, signed."""
    values = (trial.intermediate_values[step] for step in sorted(trial.intermediate_values))
    return [sign * value for value in values if math.isfinite(value)]


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _bands(min_iter: int | None, max_iter: int | None, s: int | None, eta: float) -> list[int]:
    bands: list[int] = []
    if max_iter is not None:
        if not _is_int(s):
            raise ValueError(f"max_iter needs an integer s, got s={s!r}")
        band: float = max_iter
        for _ in range(s):
            band /= eta
            if band < 1:
                break
            bands.append(int(band))
    elif min_iter is not None:
        if min_iter < 1:
            raise ValueError(f"min_iter must be at least 1, got {min_iter}")
        band = min_iter
        for _ in range(100):
            bands.append(int(band))
            band *= eta
    else:
        raise ValueError("give max_iter with s, or min_iter")
    if not bands:
        raise ValueError(f"no band: max_iter={max_iter}, s={s}, eta={eta} give none of at least 1")
    return sorted(bands)
