"""A multi-objective sweep of loss against energy, end to end on CPU: real trial processes
(local executor) read a RAPL fixture tree whose counter a writer thread advances, the
controllers tell energy as the second objective, and ``sweeps report`` shows the Pareto front."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from optuna.trial import TrialState
from support.energy import AdvancingRapl
from support.html_tables import html_records, html_tables, section

from sweeps.cli import main
from sweeps.controller.slot import run_slot
from sweeps.study import load_study, prepare_study

WATTS = 360.0  # 0.1 Wh per second


def test_loss_against_energy_runs_and_reports_its_pareto_front(  # type: ignore[no-untyped-def]
    make_spec, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWEEPS_RAPL_ROOT", str(workdir / "powercap"))
    monkeypatch.setenv("SWEEPS_PM_COUNTERS_ROOT", str(workdir / "no-cray"))
    path, spec = make_spec(
        objective="support.objectives:sleep_for_x",
        direction=None,
        directions=["minimize", "minimize"],
        metrics=["loss", "energy_wh"],
        space={"x": {"type": "float", "low": 0.0, "high": 8.0}},
        sampler={"name": "NSGAIISampler", "args": {"population_size": 4}},
    )
    prepare_study(spec)
    with AdvancingRapl(workdir / "powercap", WATTS):
        for slot in range(spec.budget.n_trials):
            run_slot(spec, slot, Path(f"results/t/trials/{slot}.json"))
    study = load_study(spec)
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 4
    for trial in trials:
        loss, energy = trial.values
        assert energy == trial.user_attrs["energy.wh"] > 0
        assert trial.user_attrs["energy.source"] == "rapl"
        # The counter moves at 360 W while the trial runs: within the trial's time in the study.
        assert energy <= 0.1 * trial.duration.total_seconds(), (loss, energy)

    assert main(["report", "--spec", str(path), "--out", str(workdir / "out")]) == 0
    csv_path, best_path = workdir / "out/trials.csv", workdir / "out/best.json"
    frame = pd.read_csv(csv_path)
    assert list(frame["energy_wh"]) == [t.user_attrs["energy.wh"] for t in trials]
    assert list(frame["value_energy_wh"]) == list(frame["energy_wh"])
    assert list(frame["value_loss"]) == [t.values[0] for t in trials]
    assert set(frame["energy_source"]) == {"rapl"}
    cost = json.loads(best_path.read_text())["cost"]
    assert cost["energy_wh"] == pytest.approx(sum(t.values[1] for t in trials))
    assert cost["energy_wh_trials"] == 4

    page = (workdir / "out/report.html").read_text()
    assert "<h2>Pareto front</h2>" in page and "<h2>Best trials (Pareto front)</h2>" in page
    front = html_records(html_tables(section(page, "Best trials (Pareto front)"))[0])
    assert sorted(int(row["number"]) for row in front) == sorted(
        t.number for t in study.best_trials
    )
    pareto = section(page, "Pareto front")
    assert "plotly-graph-div" in pareto and "energy_wh" in pareto
