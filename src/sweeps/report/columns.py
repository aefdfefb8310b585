"""One row per trial with the columns a reader of the report asks for: trials.csv and the
report's table of all trials."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import optuna
import pandas as pd
from optuna.trial import FrozenTrial

from sweeps.spec import SweepSpec
from sweeps.study.keys import Attr, Key

Column = Callable[[FrozenTrial], Any]

COST_COLUMNS: dict[str, Column] = {
    "run_time_s": lambda t: t.user_attrs.get(
        Attr.RUNTIME_S, t.duration.total_seconds() if t.duration else None
    ),
    "allocated_s": lambda t: t.user_attrs.get(
        Attr.JOB_ELAPSED_S, t.duration.total_seconds() if t.duration else None
    ),
    "queue_wait_s": lambda t: t.user_attrs.get(Attr.QUEUE_WAIT_S),
    "gpu_hours": lambda t: t.user_attrs.get(Attr.GPU_HOURS),
    "billed_gpu_hours": lambda t: t.user_attrs.get(Attr.BILLED_GPU_HOURS),
    "energy_wh": lambda t: t.user_attrs.get(Attr.ENERGY_WH),
    "energy_source": lambda t: t.user_attrs.get(Attr.ENERGY_SOURCE),
    "energy_not_measured": lambda t: t.user_attrs.get(Attr.ENERGY_NOT_MEASURED),
    "node": lambda t: t.user_attrs.get(Attr.NODE) or t.user_attrs.get(Attr.HOSTNAME),
}
"""Column -> its value for a trial. ``allocated_s`` is the Slurm job's elapsed time where
recorded, else the trial's time in the study (a local process holds nothing longer)."""

SHOWN_ELSEWHERE = {Attr.RUNTIME_S, Attr.GPU_HOURS, Attr.BILLED_GPU_HOURS, Attr.TRACEBACK}
SHOWN_ELSEWHERE |= {Attr.ENERGY_WH, Attr.ENERGY_SOURCE, Attr.ENERGY_NOT_MEASURED}
SHOWN_ELSEWHERE |= {Attr.QUEUE_WAIT_S, Attr.JOB_ELAPSED_S, Attr.NODE}


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
    row.update({name: column(trial) for name, column in COST_COLUMNS.items()})
    row.update(
        {f"user_attrs_{k}": v for k, v in trial.user_attrs.items() if k not in SHOWN_ELSEWHERE}
    )
    return row


def trials_frame(study: optuna.Study, spec: SweepSpec) -> pd.DataFrame:
    """One row per trial, in trial order."""
    return pd.DataFrame([trial_row(t, spec) for t in study.get_trials(deepcopy=False)])
