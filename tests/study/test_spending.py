"""What a sweep spent, from its trials' recorded figures, against the budgets of its file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import optuna
import pytest
from support.specs import base_spec

from sweeps.spec.deadline import parse_deadline
from sweeps.spec.errors import SpecError
from sweeps.spec.facts import BILLED_GPU_HOURS, ENERGY_NOT_MEASURED, ENERGY_WH
from sweeps.spec.load import spec_from_dict
from sweeps.study.spending import budget_states, spent_budget, totals


def trial(attrs: dict[str, Any]) -> optuna.trial.FrozenTrial:
    return optuna.trial.create_trial(value=1.0, params={}, distributions={}, user_attrs=attrs)


def _started(attrs: dict[str, Any], started: datetime) -> optuna.trial.FrozenTrial:
    """A trial that started at ``started`` (naive local time, as Optuna records it)."""
    frozen = trial(attrs)
    frozen.datetime_start = started
    return frozen


def spec_with(**budget: Any):  # type: ignore[no-untyped-def]
    return spec_from_dict(base_spec(budget={"n_trials": 10, **budget}))


def test_totals_sum_what_the_trials_recorded() -> None:
    trials = [
        trial({BILLED_GPU_HOURS.key: 0.5, ENERGY_WH.key: 100.0, "slurm.queue_wait_s": 60}),
        trial({BILLED_GPU_HOURS.key: 0.25, "slurm.queue_wait_s": 30}),
        trial({ENERGY_NOT_MEASURED.key: "no counter"}),
    ]
    spent = totals(trials)
    assert (spent.billed_gpu_hours, spent.trials_billed) == (0.75, 2)
    assert (spent.energy_wh, spent.trials_measured) == (100.0, 1)
    assert spent.queue_wait_s == 90


def test_billed_gpu_hours_budget_is_spent_once_billed_hours_reach_it() -> None:
    spec = spec_with(max_billed_gpu_hours=1.0)
    half = trial({BILLED_GPU_HOURS.key: 0.5})
    assert spent_budget(spec, [half]) is None
    state = spent_budget(spec, [half, half])
    assert state is not None and state.name == "max_billed_gpu_hours"
    assert state.line() == "max_billed_gpu_hours: 1 of 1.0 GPU-hours spent, 0 GPU-hours left"


def test_energy_budget_reads_the_recorded_energy() -> None:
    spec = spec_with(max_energy_kwh=0.5)
    trials = [trial({ENERGY_WH.key: 300.0})]
    assert spent_budget(spec, trials) is None
    state = spent_budget(spec, [*trials, trial({ENERGY_WH.key: 250.0})])
    assert state is not None and (state.name, state.spent) == ("max_energy_kwh", 0.55)


def test_a_duration_deadline_counts_from_the_first_trial_start() -> None:
    spec = spec_with(deadline="2h")
    now = datetime.now(UTC)
    assert budget_states(spec, totals([]))[0].left is None  # not started: not counting yet
    recent = _started({}, (now - timedelta(hours=1)).astimezone().replace(tzinfo=None))
    state = budget_states(spec, totals([recent]), now)[0]
    assert state.left == pytest.approx(1.0, abs=1e-3) and not state.exhausted
    old = _started({}, (now - timedelta(hours=3)).astimezone().replace(tzinfo=None))
    assert budget_states(spec, totals([recent, old]), now)[0].exhausted


@pytest.mark.parametrize(
    ("deadline", "ago_s", "line"),
    [
        ("15s", 23.2, "deadline: 23.2 s of 15 s spent, 0 s left"),
        ("45s", 12, "deadline: 12 s of 45 s spent, 33 s left"),
        ("90m", 600, "deadline: 10 min of 90 min spent, 80 min left"),
        ("2h", 23, "deadline: 0.0064 h of 2 h spent, 1.99 h left"),
        ("1d 6h", 9000, "deadline: 2.5 h of 30 h spent, 27.5 h left"),  # its smallest unit
        ("2d", 3 * 86400, "deadline: 3 d of 2 d spent, 0 d left"),
    ],
)
def test_a_duration_deadline_is_told_in_the_unit_it_was_written_in(
    deadline: str, ago_s: float, line: str
) -> None:
    now = datetime.now(UTC)
    started = _started({}, (now - timedelta(seconds=ago_s)).astimezone().replace(tzinfo=None))
    state = budget_states(spec_with(deadline=deadline), totals([started]), now)[0]
    assert state.line() == line
    length = parse_deadline(deadline).after
    assert length is not None and state.exhausted == (ago_s >= length.total_seconds())
    fresh = budget_states(spec_with(deadline=deadline), totals([]), now)[0]
    assert fresh.line().endswith("spent, not started")


def test_a_wall_clock_deadline_is_told_against_its_time() -> None:
    now = datetime.now(UTC)
    started = _started({}, (now - timedelta(minutes=30)).astimezone().replace(tzinfo=None))
    future = (now + timedelta(hours=1.5)).isoformat()
    state = budget_states(spec_with(deadline=future), totals([started]), now)[0]
    assert (
        state.line() == f"deadline: 0.5 h since the first trial started, 1.5 h left until {future}"
    )
    past = "2000-01-01T00:00:00"
    state = budget_states(spec_with(deadline=past), totals([]), now)[0]
    assert state.line() == f"deadline: no trial started yet, {past} passed"


def test_a_wall_clock_deadline_is_spent_once_it_passed() -> None:
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert spent_budget(spec_with(deadline=past), []) is not None
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert spent_budget(spec_with(deadline=future), []) is None


def test_no_budget_set_reads_nothing() -> None:
    assert spent_budget(spec_with(), [trial({BILLED_GPU_HOURS.key: 1e9})]) is None


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("deadline", "soon", "must be an ISO time"),
        ("deadline", "0h", "a duration must be positive"),
        ("max_billed_gpu_hours", -1, "greater than 0"),
        ("max_gpu_hours", -1, "greater than 0"),  # its old name: named as the file names it
        ("max_energy_kwh", True, "must be a number, not the boolean true"),
        ("on_exhausted", "stop", "'finish' or 'cancel'"),
    ],
)
def test_bad_budgets_are_refused_naming_file_key_and_value(
    key: str, value: Any, message: str
) -> None:
    with pytest.raises(SpecError) as err:
        spec_from_dict(base_spec(budget={"n_trials": 4, key: value}), source="sweep.yaml")
    text = str(err.value)
    assert text.startswith("sweep.yaml: invalid sweep")
    assert f"budget.{key} = {value!r}" in text and message in text
