"""Checks of ``objective.metrics_from`` against the rest of the sweep, at validate time."""

from __future__ import annotations

from typing import Any

from sweeps.spec.command import template_problems
from sweeps.spec.metrics import objective_metrics, objective_value_count
from sweeps.spec.metrics_from import VALUE_GROUP, MetricsFrom, groups
from sweeps.spec.model import SweepSpec

KEY = "objective.metrics_from"
Problem = tuple[str, Any, str]


def check_metrics_from(spec: SweepSpec, names: set[str]) -> list[Problem]:
    """What ``objective.metrics_from`` cannot give this sweep; ``names`` are the placeholders
    the command may use (its ``tensorboard.dir`` may use them too)."""
    read = spec.objective.metrics_from
    if read is None:
        return []
    metrics, n_values = objective_metrics(spec), objective_value_count(spec)
    problems: list[Problem] = []
    if read.intermediate is not None:
        problems += _intermediate_problems(read.intermediate, metrics, spec.multi_objective)
    if read.final is not None:
        problems += _final_problems(read.final, metrics, n_values)
        if spec.objective.metrics_file is not None:
            problems.append(
                (
                    f"{KEY}.final",
                    read.final,
                    "objective.metrics_file gives the result too: keep one",
                )
            )
    if read.tensorboard is not None:
        problems += _tensorboard_problems(read, metrics, n_values, names)
    return problems


def _intermediate_problems(pattern: str, metrics: list[str], multi: bool) -> list[Problem]:
    key = f"{KEY}.intermediate"
    if multi:
        return [(key, pattern, "Optuna prunes single-objective sweeps only: leave it out")]
    wanted = [VALUE_GROUP, *metrics[:1]]
    if not groups(pattern) & set(wanted):
        return [(key, pattern, f"has no group {_either(wanted)} for the value")]
    return []


def _final_problems(pattern: str, metrics: list[str], n_values: int) -> list[Problem]:
    key, found = f"{KEY}.final", groups(pattern)
    if n_values == 1:
        wanted = [VALUE_GROUP, *metrics[:1]]
        if not found & set(wanted):
            return [(key, pattern, f"has no group {_either(wanted)} for the value")]
        return []
    if not metrics:
        return [(key, pattern, "several values: name them in 'metrics' and give a group each")]
    missing = [name for name in metrics if name not in found]
    if missing:
        shown = ", ".join(f"(?P<{name}>...)" for name in missing)
        return [(key, pattern, f"has no group for metric {', '.join(missing)}: add {shown}")]
    return []


def _tensorboard_problems(
    read: MetricsFrom, metrics: list[str], n_values: int, names: set[str]
) -> list[Problem]:
    assert read.tensorboard is not None
    board, key = read.tensorboard, f"{KEY}.tensorboard"
    problems: list[Problem] = [
        (f"{key}.dir", board.dir, p) for p in template_problems([board.dir], names, None)
    ]
    if isinstance(board.tag, str):
        if n_values > 1 and read.final is None:
            problems.append(
                (f"{key}.tag", board.tag, "several values: give a tag per metric (metric: tag)")
            )
    elif set(board.tag) != set(metrics):
        shown = ", ".join(metrics) or "none: the sweep names no metrics"
        problems.append((f"{key}.tag", board.tag, f"give a tag for each metric ({shown})"))
    return problems


def _either(wanted: list[str]) -> str:
    return " or ".join(f"(?P<{name}>...)" for name in dict.fromkeys(wanted))
