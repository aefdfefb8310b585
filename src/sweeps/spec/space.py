"""The search space as Optuna distributions."""

from __future__ import annotations

from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from sweeps.spec.conditions import drawing_order, expected, holds
from sweeps.spec.model import CategoricalParam, FloatParam, IntParam, SweepSpec


def distribution(param: FloatParam | IntParam | CategoricalParam) -> BaseDistribution:
    """The Optuna distribution for one parameter of the sweep file."""
    if isinstance(param, FloatParam):
        return FloatDistribution(param.low, param.high, log=param.log, step=param.step)
    if isinstance(param, IntParam):
        return IntDistribution(param.low, param.high, log=param.log, step=param.step)
    return CategoricalDistribution(param.choices)


def distributions(spec: SweepSpec) -> dict[str, BaseDistribution]:
    """All parameters of the sweep, in file order."""
    return {name: distribution(param) for name, param in spec.space.items()}


def grid_search_space(spec: SweepSpec) -> dict[str, list[Any]]:
    """The grid of every parameter, for ``GridSampler``; floats need a ``step``."""
    grid: dict[str, list[Any]] = {}
    for name, param in spec.space.items():
        if param.when:
            raise ValueError(
                f"space.{name}.when: GridSampler's grid has every parameter in every trial; "
                "a conditional parameter needs another sampler"
            )
        if isinstance(param, CategoricalParam):
            grid[name] = list(param.choices)
        elif isinstance(param, IntParam) and not param.log:
            grid[name] = list(range(param.low, param.high + 1, param.step))
        elif isinstance(param, FloatParam) and param.step is not None:
            count = round((param.high - param.low) / param.step)
            grid[name] = [param.low + i * param.step for i in range(count + 1)]
        else:
            raise ValueError(f"space.{name}: a grid needs choices, an int range or a float step")
    return grid


def suggest_all(trial: optuna.Trial, spec: SweepSpec) -> None:
    """Sample every parameter of the sweep on ``trial`` (through its sampler), parents first,
    each conditional one only where its condition holds on what was drawn."""
    drawn: dict[str, Any] = {}
    for name in drawing_order(spec.space):
        param = spec.space[name]
        if not holds(param, drawn):
            continue
        if isinstance(param, FloatParam):
            trial.suggest_float(name, param.low, param.high, step=param.step, log=param.log)
        elif isinstance(param, IntParam):
            trial.suggest_int(name, param.low, param.high, step=param.step, log=param.log)
        else:
            trial.suggest_categorical(name, param.choices)
        drawn[name] = trial.params[name]


def missing_params(spec: SweepSpec, params: dict[str, Any]) -> set[str]:
    """The parameters a trial with ``params`` should hold but does not (its sampling did not
    finish); conditional ones count only where their condition holds."""
    return expected(spec.space, params) - set(params)
