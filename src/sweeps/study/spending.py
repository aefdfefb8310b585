"""What a sweep has spent, read from its trials' recorded figures, against its budgets.

Every trial that ran counts, failed and retried attempts included: the site billed them.
The figures are the facts of :mod:`sweeps.spec.facts`, read by their declarations (old studies'
keys included): billed GPU-hours (:data:`BILLED_GPU_HOURS`, which ``max_billed_gpu_hours``
limits), Slurm's allocated GPU-hours, energy where it was measured (:data:`ENERGY_WH`, which
``max_energy_kwh`` limits) and queue wait. A ``deadline`` given as a duration counts from the
start of the study's first trial. The budget that ended a sweep is recorded as
:attr:`Key.BUDGET_SPENT`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import optuna
from optuna.trial import FrozenTrial

from sweeps.spec import SweepSpec
from sweeps.spec.deadline import UNIT_SECONDS, parse_deadline
from sweeps.spec.facts import (
    ALLOCATED_GPU_HOURS,
    BILLED_GPU_HOURS,
    ENERGY_WH,
    QUEUE_WAIT_S,
    Fact,
)
from sweeps.study.keys import Attr, Key

WH_PER_KWH = 1000


@dataclass(frozen=True)
class Totals:
    """The study's recorded figures, summed over its trials."""

    billed_gpu_hours: float
    trials_billed: int
    allocated_gpu_hours: float  # Slurm's: GPUs held x elapsed time, not what is billed
    energy_wh: float
    trials_measured: int
    queue_wait_s: float
    first_start: datetime | None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["first_start"] = self.first_start.isoformat() if self.first_start else None
        return data


def totals(trials: list[FrozenTrial]) -> Totals:
    """Sum the figures the trials recorded (a figure a trial lacks counts for nothing)."""
    billed = _figures(BILLED_GPU_HOURS, trials)
    energy = _figures(ENERGY_WH, trials)
    starts = [t.datetime_start for t in trials if t.datetime_start is not None]
    return Totals(
        billed_gpu_hours=round(sum(billed), 6),
        trials_billed=len(billed),
        allocated_gpu_hours=round(sum(_figures(ALLOCATED_GPU_HOURS, trials)), 6),
        energy_wh=round(sum(energy), 3),
        trials_measured=len(energy),
        queue_wait_s=round(sum(_figures(QUEUE_WAIT_S, trials)), 3),
        first_start=min(starts) if starts else None,
    )


def _figures(fact: Fact, trials: list[FrozenTrial]) -> list[float]:
    """``fact`` of each trial that recorded it."""
    return [float(fact.read(t.user_attrs)) for t in trials if fact.recorded(t.user_attrs)]


@dataclass(frozen=True)
class Overhead:
    """Warm workers: what their jobs were billed, what their trials were charged, the rest
    (all billed GPU-hours)."""

    workers: int
    worker_billed_gpu_hours: float
    charged_gpu_hours: float

    @property
    def idle_gpu_hours(self) -> float:
        return round(max(self.worker_billed_gpu_hours - self.charged_gpu_hours, 0.0), 6)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "idle_gpu_hours": self.idle_gpu_hours}


def worker_overhead(study_attrs: dict[str, Any], trials: list[FrozenTrial]) -> Overhead | None:
    """The warm workers' idle overhead: what their recorded allocations were billed less their
    trials' billed shares; None when no worker recorded one. An allocation record holds its
    billed figure under the fact's name (:func:`sweeps.worker.allocation.record_allocation`)."""
    prefix = f"{Key.WORKER_ALLOCATION}:"
    allocations = {
        key.removeprefix(prefix): json.loads(raw)
        for key, raw in study_attrs.items()
        if key.startswith(prefix)
    }
    if not allocations:
        return None
    ran = [t for t in trials if t.user_attrs.get(Attr.WORKER) in allocations]
    charged = sum(_figures(BILLED_GPU_HOURS, ran))
    billed = sum(float(a[BILLED_GPU_HOURS.name]) for a in allocations.values())
    return Overhead(len(allocations), round(billed, 6), round(charged, 6))


@dataclass(frozen=True)
class BudgetState:
    """One budget of the sweep file: its limit, what is spent and what is left."""

    name: str  # its key under ``budget``
    unit: str
    limit: float | str
    spent: float
    left: float | None  # None: not known yet (a duration before the first trial)

    @property
    def exhausted(self) -> bool:
        return self.left is not None and self.left <= 0

    def line(self) -> str:
        left = "not started" if self.left is None else f"{max(self.left, 0):g} {self.unit} left"
        return f"{self.name}: {self.spent:g} of {self.limit} {self.unit} spent, {left}"


@dataclass(frozen=True)
class DeadlineState(BudgetState):
    """``budget.deadline``, counted in the smallest unit its duration was written in (hours
    for a wall-clock time): ``length`` is the duration in that unit, None for a time."""

    length: float | None = None
    started: bool = False  # whether the study's first trial has started

    def line(self) -> str:
        unit = self.unit
        left = "not started" if self.left is None else f"{_amount(max(self.left, 0))} {unit} left"
        if self.length is not None:
            spent = f"{_amount(self.spent)} {unit} of {_amount(self.length)} {unit} spent"
            return f"{self.name}: {spent}, {left}"
        since = f"{_amount(self.spent)} {unit} since the first trial started"
        if not self.started:
            since = "no trial started yet"
        until = f"{self.limit} passed" if self.exhausted else f"{left} until {self.limit}"
        return f"{self.name}: {since}, {until}"


def _amount(value: float) -> str:
    """``23``, ``1.99``, ``0.0064``, ``7200``: three significant digits, whole numbers whole."""
    return f"{value:.{max(3, len(str(int(abs(value)))))}g}"


def _billed_gpu_hours(spec: SweepSpec, spent: Totals, now: datetime) -> BudgetState | None:
    limit = spec.budget.max_billed_gpu_hours
    if limit is None:
        return None
    used = spent.billed_gpu_hours
    unit = BILLED_GPU_HOURS.unit
    return BudgetState("max_billed_gpu_hours", unit, limit, used, round(limit - used, 6))


def _energy(spec: SweepSpec, spent: Totals, now: datetime) -> BudgetState | None:
    limit = spec.budget.max_energy_kwh
    if limit is None:
        return None
    used = spent.energy_wh / WH_PER_KWH
    return BudgetState("max_energy_kwh", "kWh", limit, round(used, 6), round(limit - used, 6))


def _deadline(spec: SweepSpec, spent: Totals, now: datetime) -> BudgetState | None:
    if spec.budget.deadline is None:
        return None
    first = spent.first_start.astimezone(UTC) if spent.first_start else None
    deadline = parse_deadline(spec.budget.deadline)
    ends = deadline.ends(first)
    unit = deadline.unit or "h"
    per = UNIT_SECONDS[unit]
    used = (now - first).total_seconds() / per if first else 0.0
    left = None if ends is None else round((ends - now).total_seconds() / per, 4)
    length = deadline.after.total_seconds() / per if deadline.after is not None else None
    limit = spec.budget.deadline
    return DeadlineState("deadline", unit, limit, round(used, 4), left, length, first is not None)


BUDGETS: list[Callable[[SweepSpec, Totals, datetime], BudgetState | None]] = [
    _billed_gpu_hours,
    _energy,
    _deadline,
]


def budget_states(spec: SweepSpec, spent: Totals, now: datetime | None = None) -> list[BudgetState]:
    """Each budget the sweep file sets, with what is spent and left."""
    moment = now or datetime.now(UTC)
    states = (budget(spec, spent, moment) for budget in BUDGETS)
    return [s for s in states if s is not None]


def has_budgets(spec: SweepSpec) -> bool:
    """Whether the sweep sets any budget besides ``n_trials``."""
    budget = spec.budget
    return any(
        v is not None for v in (budget.max_billed_gpu_hours, budget.max_energy_kwh, budget.deadline)
    )


def spent_budget(spec: SweepSpec, trials: list[FrozenTrial]) -> BudgetState | None:
    """The first budget that is spent, if any (a sweep with none set reads nothing)."""
    if not has_budgets(spec):
        return None
    return next((s for s in budget_states(spec, totals(trials)) if s.exhausted), None)


@dataclass(frozen=True)
class SpentRecord:
    """The budget that ended a run of the sweep, and when."""

    budget: str
    line: str
    run: str
    at: float


def read_spent(study: optuna.Study) -> SpentRecord | None:
    """The study's record of the budget that ended a run, if any."""
    raw = study.user_attrs.get(Key.BUDGET_SPENT)
    return SpentRecord(**json.loads(raw)) if raw else None


def record_spent(study: optuna.Study, state: BudgetState, run: str) -> SpentRecord:
    """Record ``state`` as the budget that ended run ``run``."""
    record = SpentRecord(state.name, state.line(), run, time.time())
    study.set_user_attr(Key.BUDGET_SPENT, json.dumps(asdict(record)))
    return record
