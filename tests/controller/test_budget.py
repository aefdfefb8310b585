"""A spent budget ends a slot without a trial: a "not run" receipt, one line, the budget
recorded in the study; the next run forgets those receipts and looks again (local trials).
The check reads the running totals the told trials added, not the study's trials."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import optuna
import pytest

from sweeps.controller.budget import (
    BudgetSpent,
    cancel_reason,
    forget_not_run,
    note_run_budget,
    refuse_if_spent,
)
from sweeps.controller.receipts import NOT_RUN
from sweeps.controller.slot import run_slot, tell_outcome
from sweeps.job.task import TrialOutcome
from sweeps.spec import load_spec
from sweeps.spec.facts import BILLED_GPU_HOURS
from sweeps.spec.paths import SweepPaths
from sweeps.spec.space import distributions
from sweeps.storage import open_storage
from sweeps.storage.optuna_internals import storage_of
from sweeps.study import load_study, prepare_study
from sweeps.study.budget_record import TrialBudget
from sweeps.study.keys import Key
from sweeps.study.slots import create_slot_trial
from sweeps.study.spending import Spending, totals


def test_a_spent_budget_starts_no_trial_and_says_which(make_spec, capsys) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(budget={"n_trials": 4, "max_gpu_hours": 1.0})
    study = prepare_study(spec)
    billed = create_slot_trial(study, 0, 0)
    billed.suggest_float("x", -5, 5)
    facts = {"cost": {"billed_gpu_hours": 1.25, "billing_rule": "gpu_share"}}
    tell_outcome(study, billed, TrialOutcome("complete", values=[1.0], facts=facts))
    receipts = [Path(f"results/t/trials/{slot}.json") for slot in (1, 2)]
    for slot, path in zip((1, 2), receipts, strict=True):
        receipt = run_slot(spec, slot, path)
        assert (receipt.state, receipt.number) == (NOT_RUN, -1)
        assert json.loads(path.read_text())["state"] == NOT_RUN
    err = capsys.readouterr().err
    line = "sweep ended: budget max_billed_gpu_hours: 1.25 of 1.0 GPU-hours spent, 0 GPU-hours left"
    assert err.count(line) == 1  # printed once per run
    study = load_study(spec)
    assert len(study.trials) == 1  # no trial was started
    assert json.loads(study.user_attrs[Key.BUDGET_SPENT])["budget"] == "max_billed_gpu_hours"
    assert forget_not_run(spec) == 2
    assert not any(path.exists() for path in receipts)
    assert list((SweepPaths.of(spec).root / "not-run").iterdir()) == []


def test_with_budget_left_the_slot_runs_its_trial(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(budget={"n_trials": 4, "max_gpu_hours": 1.0, "deadline": "1h"})
    prepare_study(spec)
    receipt = run_slot(spec, 0, Path("results/t/trials/0.json"))
    assert receipt.state == "COMPLETE"
    assert Key.BUDGET_SPENT not in load_study(spec).user_attrs


def test_a_past_deadline_ends_the_slot(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(budget={"n_trials": 2, "deadline": "2000-01-01T00:00:00"})
    prepare_study(spec)
    assert run_slot(spec, 0, Path("results/t/trials/0.json")).state == NOT_RUN
    assert load_study(spec).trials == []


def test_recorded_energy_ends_the_sweep_at_max_energy_kwh(make_spec, capsys) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(budget={"n_trials": 4, "max_energy_kwh": 0.5})
    study = prepare_study(spec)
    for slot, wh in ((0, 300.0), (1, 250.0)):  # energy.wh, as the trial's energy reader writes it
        trial = create_slot_trial(study, slot, 0)
        trial.suggest_float("x", -5, 5)
        tell_outcome(
            study, trial, TrialOutcome("complete", values=[1.0], facts={"energy": {"wh": wh}})
        )
    assert run_slot(spec, 2, Path("results/t/trials/2.json")).state == NOT_RUN
    assert "budget max_energy_kwh: 0.55 of 0.5 kWh spent" in capsys.readouterr().err


def _tell_billed(spec, worker: int, count: int) -> None:  # type: ignore[no-untyped-def]
    """One controller: tell ``count`` trials, billed and measured, some of them lost attempts."""
    study = load_study(spec)
    for i in range(count):
        trial = create_slot_trial(study, worker * count + i, 0)
        trial.suggest_float("x", -5, 5)
        facts = {"cost": {"billed_gpu_hours": 0.25}, "energy": {"wh": 2.5}}
        lost = i % 3 == 0  # a lost attempt costs what it cost
        outcome = TrialOutcome("fail" if lost else "complete", values=None if lost else [1.0])
        outcome.facts.update(facts)
        outcome.retryable = lost
        tell_outcome(study, trial, outcome, spec.storage_url)


def test_running_totals_equal_a_full_recount_after_concurrent_controllers(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(budget={"n_trials": 40, "max_gpu_hours": 100.0})
    prepare_study(spec)
    threads = [threading.Thread(target=_tell_billed, args=(spec, w, 10)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    study = load_study(spec)
    running = Spending.of(study, spec.storage_url).totals()
    recount = totals(study.get_trials(deepcopy=False))
    assert running == recount
    assert (running.billed_gpu_hours, running.trials_billed, running.energy_wh) == (10.0, 40, 100.0)


def test_an_old_study_without_totals_is_counted_once_and_recorded(make_spec, capsys) -> None:  # type: ignore[no-untyped-def]
    """A study made before running totals (no totals recorded, facts on its trials)."""
    _, spec = make_spec(budget={"n_trials": 4, "max_gpu_hours": 1.0})
    study = optuna.create_study(study_name=spec.study, storage=open_storage(spec.storage_url))
    for slot in (0, 1):
        trial = create_slot_trial(study, slot, 0)
        trial.suggest_float("x", -5, 5)
        trial.set_user_attr(BILLED_GPU_HOURS.key, 0.75)
        study.tell(trial, 1.0)
    assert Key.SPENT_TOTALS not in study.user_attrs
    assert run_slot(spec, 2, Path("results/t/trials/2.json")).state == NOT_RUN
    assert "max_billed_gpu_hours: 1.5 of 1.0 GPU-hours spent" in capsys.readouterr().err
    study = load_study(spec, check=False)
    recorded = json.loads(study.user_attrs[Key.SPENT_TOTALS])
    assert (recorded["billed_gpu_hours"], recorded["trials_billed"]) == (1.5, 2)
    assert Key.FIRST_START in study.user_attrs


def test_the_check_at_a_trials_start_reads_no_trial(make_spec, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Instrumentation, not a mock: the real storage's get_all_trials is wrapped to count its
    calls, and still answers."""
    _, spec = make_spec(budget={"n_trials": 30, "max_gpu_hours": 5.0, "deadline": "1h"})
    prepare_study(spec)
    _tell_billed(spec, 0, 12)
    study = load_study(spec)
    refuse_if_spent(spec, study)  # the first check after a trial started records its start
    storage = storage_of(study)
    calls: list[object] = []
    real = storage.get_all_trials

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(storage, "get_all_trials", counted)
    refuse_if_spent(spec, study)  # 3 of 5 GPU-hours spent: no budget is spent
    assert cancel_reason(spec, study) is None
    assert calls == []
    _tell_billed(spec, 2, 10)  # 2.5 GPU-hours more, told through the same storage
    with pytest.raises(BudgetSpent, match=r"5\.5 of 5\.0 GPU-hours spent"):
        refuse_if_spent(spec, study)
    assert calls == []


def test_each_run_of_the_workflow_records_its_budget(make_spec, workdir) -> None:  # type: ignore[no-untyped-def]
    """At a run's start an existing study records the trials the run is given (n_trials=N);
    a study not made yet is left to the study job, and nothing is created."""
    path, _ = make_spec(budget={"n_trials": 10})
    assert note_run_budget(load_spec(path, n_trials=3)) is None
    assert not (workdir / "results").exists()
    study = prepare_study(load_spec(path, n_trials=3))
    for _ in range(3):
        study.tell(study.ask(distributions(load_spec(path))), 1.0)
    assert note_run_budget(load_spec(path, n_trials=6)) == TrialBudget(6, 10)
    assert study.user_attrs[Key.TRIAL_BUDGET] == {"n_trials": 6, "sweep_file": 10}
    assert note_run_budget(load_spec(path)) == TrialBudget(10, 10)
