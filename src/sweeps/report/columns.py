"""One row per trial with the columns a reader of the report asks for: trials.csv and the
report's table of all trials.

Each recorded fact of :mod:`sweeps.spec.facts` is one column, named by its declaration and read
with it (an old study's keys included); the user attributes that are no declared fact follow as
``user_attrs_<key>``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import optuna
import pandas as pd
from optuna.trial import FrozenTrial

from sweeps.spec import SweepSpec
from sweeps.spec.facts import FACT_KEYS, FACTS, HOSTNAME, JOB_ELAPSED_S, NODE, RUNTIME_S, Fact
from sweeps.study.keys import Attr, Key

Column = Callable[[FrozenTrial], Any]


def _time_in_study(trial: FrozenTrial) -> float | None:
    return trial.duration.total_seconds() if trial.duration else None


FALLBACKS: dict[Fact, Column] = {
    RUNTIME_S: _time_in_study,
    JOB_ELAPSED_S: _time_in_study,
    NODE: lambda t: HOSTNAME.read(t.user_attrs),
}
"""A fact's column where the trial did not record it: the run time and the allocated time are
the trial's time in the study (a local process holds nothing longer than it runs); the node is
the host."""


def fact_value(trial: FrozenTrial, fact: Fact) -> Any:
    """``fact``'s column for ``trial``."""
    value = fact.read(trial.user_attrs)
    if value in (None, "") and fact in FALLBACKS:
        return FALLBACKS[fact](trial)
    return value


CSV_ONLY = [fact.column for fact in FACTS if not fact.in_report]
"""Fact columns that trials.csv has and the report page's table of all trials leaves out."""

SHOWN_ELSEWHERE = FACT_KEYS | {Attr.TRACEBACK}
"""User attributes not repeated as ``user_attrs_<key>``: the facts have their own columns."""


def value_columns(spec: SweepSpec) -> list[str]:
    """``value`` for one objective; ``value_<metric>`` (or ``value_<i>``) for several."""
    if len(spec.directions) == 1:
        return ["value"]
    names = spec.metrics or [str(i) for i in range(len(spec.directions))]
    return [f"value_{name}" for name in names]


def trial_row(trial: FrozenTrial, spec: SweepSpec) -> dict[str, Any]:
    """A trial as one row: where it stands, its values and params, and what it cost."""
    row: dict[str, Any] = {
        "number": trial.number,
        "slot": trial.system_attrs.get(Key.SLOT),
        "attempt": trial.system_attrs.get(Key.ATTEMPT),
        "state": trial.state.name,
        "datetime_start": trial.datetime_start,
        "datetime_complete": trial.datetime_complete,
    }
    values = trial.values or [None] * len(spec.directions)
    row.update(zip(value_columns(spec), values, strict=False))
    row.update({f"params_{k}": v for k, v in trial.params.items()})
    row.update({fact.column: fact_value(trial, fact) for fact in FACTS})
    row.update(
        {f"user_attrs_{k}": v for k, v in trial.user_attrs.items() if k not in SHOWN_ELSEWHERE}
    )
    return row


def trials_frame(study: optuna.Study, spec: SweepSpec) -> pd.DataFrame:
    """One row per trial, in trial order."""
    return pd.DataFrame([trial_row(t, spec) for t in study.get_trials(deepcopy=False)])
