"""A spent budget ends a slot without a trial: a "not run" receipt, one line, the budget
recorded in the study; the next run forgets those receipts and looks again (local trials)."""

from __future__ import annotations

import json
from pathlib import Path

from sweeps.controller.budget import forget_not_run
from sweeps.controller.receipts import NOT_RUN
from sweeps.controller.slot import run_slot, tell_outcome
from sweeps.job.task import TrialOutcome
from sweeps.spec.paths import SweepPaths
from sweeps.study import load_study, prepare_study
from sweeps.study.keys import Key
from sweeps.study.slots import create_slot_trial


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
