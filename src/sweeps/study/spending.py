"""What a sweep has spent, read from its trials' recorded figures, against its budgets.

Every trial that ran counts, failed and retried attempts included: the site billed them.
The figures are the facts of :mod:`sweeps.spec.facts`, read by their declarations (old studies'
keys included): billed GPU-hours (:data:`BILLED_GPU_HOURS`, which ``max_billed_gpu_hours``
limits), Slurm's allocated GPU-hours, energy where it was measured (:data:`ENERGY_WH`, which
``max_energy_kwh`` limits) and queue wait. A ``deadline`` given as a duration counts from the
start of the study's first trial. The budget that ended a sweep is recorded as
:attr:`Key.BUDGET_SPENT`.

Budget checks read running totals (:class:`Spending`, :attr:`Key.SPENT_TOTALS`), not the whole
study: the controller that tells a trial adds its figures under the study's storage mutex, in
the same hold as it records them on the trial, so no addition is lost or made twice. The first
trial's start is recorded once a trial has started. A study without totals (made before them)
is read in full once and its totals recorded.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import optuna
from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial, TrialState

from sweeps.spec import SweepSpec
from sweeps.spec.deadline import UNIT_SECONDS, parse_deadline
from sweeps.spec.facts import (
    ALLOCATED_GPU_HOURS,
    BILLED_GPU_HOURS,
    ENERGY_WH,
    QUEUE_WAIT_S,
    Fact,
)
from sweeps.storage.mutex import storage_mutex
from sweeps.storage.optuna_internals import storage_of, study_id_of
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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Totals:
        start = data.get("first_start")
        return cls(**{**data, "first_start": datetime.fromisoformat(start) if start else None})

    def plus(self, other: Totals) -> Totals:
        """Both sums (unrounded), the earlier first start."""
        starts = [s for s in (self.first_start, other.first_start) if s is not None]
        return Totals(
            billed_gpu_hours=self.billed_gpu_hours + other.billed_gpu_hours,
            trials_billed=self.trials_billed + other.trials_billed,
            allocated_gpu_hours=self.allocated_gpu_hours + other.allocated_gpu_hours,
            energy_wh=self.energy_wh + other.energy_wh,
            trials_measured=self.trials_measured + other.trials_measured,
            queue_wait_s=self.queue_wait_s + other.queue_wait_s,
            first_start=min(starts) if starts else None,
        )

    def rounded(self) -> Totals:
        """As :func:`totals` reports them."""
        return replace(
            self,
            billed_gpu_hours=round(self.billed_gpu_hours, 6),
            allocated_gpu_hours=round(self.allocated_gpu_hours, 6),
            energy_wh=round(self.energy_wh, 3),
            queue_wait_s=round(self.queue_wait_s, 3),
        )


def totals(trials: list[FrozenTrial]) -> Totals:
    """Sum the figures the trials recorded (a figure a trial lacks counts for nothing)."""
    return _summed(trials).rounded()


class _Figured(Protocol):
    """What :func:`_summed` reads of a trial."""

    @property
    def user_attrs(self) -> dict[str, Any]: ...

    @property
    def datetime_start(self) -> datetime | None: ...


def _summed(trials: Sequence[_Figured]) -> Totals:
    """:func:`totals`, unrounded."""
    attrs = [t.user_attrs for t in trials]
    billed = _figures(BILLED_GPU_HOURS, attrs)
    energy = _figures(ENERGY_WH, attrs)
    starts = [t.datetime_start for t in trials if t.datetime_start is not None]
    return Totals(
        billed_gpu_hours=sum(billed),
        trials_billed=len(billed),
        allocated_gpu_hours=sum(_figures(ALLOCATED_GPU_HOURS, attrs)),
        energy_wh=sum(energy),
        trials_measured=len(energy),
        queue_wait_s=sum(_figures(QUEUE_WAIT_S, attrs)),
        first_start=min(starts) if starts else None,
    )


def _figures(fact: Fact, attrs: list[dict[str, Any]]) -> list[float]:
    """``fact`` of each trial (its user attributes) that recorded it as a number."""
    return [f for f in (_number(fact.read(a)) for a in attrs if fact.recorded(a)) if f is not None]


def _number(value: Any) -> float | None:
    """A recorded figure; None for one that is not a number (it counts for nothing)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


_STARTED = (TrialState.RUNNING, TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
_IN_PROCESS = threading.Lock()  # the mutex where no storage URL is given (one process)


@dataclass(frozen=True)
class Spending:
    """The study's running totals (:attr:`Key.SPENT_TOTALS`) and first start
    (:attr:`Key.FIRST_START`): one small read per budget check, no trial read.

    ``url`` (the sweep's storage setting) names the storage mutex that serialises additions
    across processes; without it only this process's threads are serialised. Reads never take
    the mutex (a slot checks its budgets under its slot's claim, and mutexes do not nest)."""

    storage: BaseStorage
    study_id: int
    study_name: str
    url: str | None = None

    @classmethod
    def of(cls, study: optuna.Study, url: str | None = None) -> Spending:
        return cls(storage_of(study), study_id_of(study), study.study_name, url)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the totals' mutex: record a trial's figures and :meth:`add` them inside."""
        if self.url is None:
            with _IN_PROCESS:
                yield
        else:
            with storage_mutex(self.url, f"study:{self.study_name}:spent"):
                yield

    def begin(self) -> None:
        """Record zero totals for a study just created (it has no trial to count)."""
        self._write(_summed([]))

    def ensure(self) -> None:
        """Record the totals of a study that has none (made before them) from all its
        trials, once; takes the mutex (hold no other)."""
        if self._recorded(self._attrs()) is None:
            with self.held():
                if self._recorded(self._attrs()) is None:
                    self._recount()

    def totals(self, first_start: bool = True) -> Totals:
        """What the told trials recorded, as :func:`totals` of all trials gives it (a study
        without totals: counted from all its trials, not recorded, see :meth:`ensure`). With
        ``first_start``, a first start not yet recorded is looked up among the started trials
        and recorded (none read once one is)."""
        attrs = self._attrs()
        spent = self._recorded(attrs)
        if spent is None:
            return _summed(self.storage.get_all_trials(self.study_id, deepcopy=False)).rounded()
        first = attrs.get(Key.FIRST_START)
        if first is None and first_start:
            first = self._record_first_start()
        started = datetime.fromisoformat(first) if first else None
        return replace(spent, first_start=started).rounded()

    def add(self, user_attrs: dict[str, Any]) -> None:
        """Add a trial's figures (its user attributes, just recorded): call inside
        :meth:`held`. Totals not recorded yet are counted from all trials, this one included."""
        spent = self._recorded(self._attrs())
        if spent is None:
            self._recount()
            return
        self._write(spent.plus(_summed([_Recorded(user_attrs)])))

    def _attrs(self) -> dict[str, Any]:
        return self.storage.get_study_user_attrs(self.study_id)

    def _recorded(self, attrs: dict[str, Any]) -> Totals | None:
        raw = attrs.get(Key.SPENT_TOTALS)
        return Totals.from_dict(json.loads(raw)) if raw else None

    def _recount(self) -> None:
        """Record the totals (and first start) of the whole study."""
        spent = _summed(self.storage.get_all_trials(self.study_id, deepcopy=False))
        if spent.first_start is not None:
            self._write_first_start(spent.first_start)
        self._write(replace(spent, first_start=None))

    def _record_first_start(self) -> str | None:
        """The earliest start among the started trials, recorded (written once, and alike by
        any controller that writes it meanwhile: no mutex)."""
        started = self.storage.get_all_trials(self.study_id, deepcopy=False, states=_STARTED)
        first = _summed(started).first_start
        return None if first is None else self._write_first_start(first)

    def _write_first_start(self, first: datetime) -> str:
        stamp = first.isoformat()
        self.storage.set_study_user_attr(self.study_id, Key.FIRST_START, stamp)
        return stamp

    def _write(self, spent: Totals) -> None:
        data = json.dumps(spent.as_dict())
        self.storage.set_study_user_attr(self.study_id, Key.SPENT_TOTALS, data)


@dataclass(frozen=True)
class _Recorded:
    """A trial's user attributes where :func:`_summed` reads a trial (no start: the first
    start is recorded once, when a trial has started)."""

    user_attrs: dict[str, Any]
    datetime_start: datetime | None = None


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
    ran = [t.user_attrs for t in trials if t.user_attrs.get(Attr.WORKER) in allocations]
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
    return first_spent(spec, totals(trials))


def first_spent(spec: SweepSpec, spent: Totals) -> BudgetState | None:
    """The first budget that ``spent`` uses up, if any."""
    return next((s for s in budget_states(spec, spent) if s.exhausted), None)


def spent_from_totals(spec: SweepSpec, spending: Spending) -> BudgetState | None:
    """:func:`spent_budget` from the running totals: no trial is read (the first start is
    looked up only for a ``deadline``, until it is recorded)."""
    if not has_budgets(spec):
        return None
    return first_spent(spec, spending.totals(first_start=spec.budget.deadline is not None))


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
