from __future__ import annotations

import json
from pathlib import Path

import optuna
import pandas as pd
import pytest
from optuna.trial import TrialState
from support.html_tables import html_records, html_tables, section

from sweeps.report.html import write_html_report
from sweeps.report.summary import summarize
from sweeps.report.tables import write_tables
from sweeps.study import prepare_study
from sweeps.study.keys import Key


def filled_study(spec, user_attrs=None):  # type: ignore[no-untyped-def]
    attrs = user_attrs or [{}] * 4
    study = prepare_study(spec)
    dist = {"x": optuna.distributions.FloatDistribution(-5, 5)}
    for slot, (x, state) in enumerate([(1.0, "ok"), (3.5, "ok"), (0.0, "pruned"), (2.2, "ok")]):
        pruned = state == "pruned"
        study.add_trial(
            optuna.trial.create_trial(
                params={"x": x},
                distributions=dist,
                system_attrs={Key.SLOT: slot},
                user_attrs=attrs[slot],
                intermediate_values={step: (x - 2) ** 2 + 3 - step for step in range(3)},
                state=TrialState.PRUNED if pruned else TrialState.COMPLETE,
                value=None if pruned else (x - 2) ** 2,
            )
        )
    return study


def test_summary_and_tables(make_spec, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec()
    study = filled_study(spec)
    summary = summarize(study, spec)
    assert summary.final_counts == {"COMPLETE": 3, "PRUNED": 1, "FAIL": 0}
    assert summary.best[0]["params"] == {"x": 2.2}
    csv_path, best_path = write_tables(study, spec, workdir / "out")
    frame = pd.read_csv(csv_path)
    assert list(frame["state"]) == ["COMPLETE", "COMPLETE", "PRUNED", "COMPLETE"]
    assert list(frame["slot"]) == [0, 1, 2, 3]
    best = json.loads(best_path.read_text())
    assert best["best"][0]["number"] == 3
    assert study.trials[0].system_attrs[Key.SLOT] == 0


def test_html_report_has_the_three_figures(make_spec, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec()
    study = filled_study(spec)
    html = write_html_report(study, spec, workdir / "report.html").read_text()
    for title in ("Optimization history", "Parameter importances", "Intermediate values"):
        assert f"<h2>{title}</h2>" in html
    assert html.count("plotly-graph-div") >= 2  # real figures, not notes
    assert '<script src="http' not in html  # plotly.js inlined: viewable offline


COSTS: list[dict[str, object]] = [
    {
        "runtime_s": 10.0,
        "slurm.elapsed_s": 20,
        "slurm.queue_wait_s": 5.0,
        "slurm.allocated_gpu_hours": 0.01,
        "cost.billed_gpu_hours": 0.005,
        "energy.wh": 2.5,
        "energy.source": "nvml",
        "slurm.node": "nid001",
    },
    {
        "runtime_s": 30.0,
        "slurm.elapsed_s": 40,
        "slurm.queue_wait_s": 15.0,
        "slurm.allocated_gpu_hours": 0.02,
        "cost.billed_gpu_hours": 0.01,
        "energy.not_measured": "no energy counter readable here: nvml: NVML sees no GPU",
        "slurm.node": "nid002",
    },
    {"runtime_s": 5.0, "slurm.elapsed_s": 10, "hostname": "laptop"},
    {
        "runtime_s": 20.0,
        "slurm.elapsed_s": 20,
        "energy.wh": 1.5,
        "energy.source": "rapl",
        "hostname": "ws1",
    },
]


def costed_study(spec):  # type: ignore[no-untyped-def]
    """The four trials of ``filled_study`` with the cost facts their jobs would record."""
    return filled_study(spec, COSTS)


def test_report_tables_show_best_cost_and_every_trial(make_spec, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec()
    page = write_html_report(costed_study(spec), spec, workdir / "report.html").read_text()
    best = html_records(html_tables(section(page, "Best parameters"))[0])
    assert best == [
        {
            "number": "3",
            "value": "0.04",
            "params_x": "2.2",
            "run_time_s": "20.0",
            "billed_gpu_hours": "",
            "energy_wh": "1.5",
            "node": "ws1",
        }
    ]
    cost = dict(html_tables(section(page, "What the sweep cost"))[0])
    assert cost == {
        "finished trials": "4",
        "billed GPU-hours": "0.0150 GPU-hours (2 of 4 trials)",
        "allocated GPU-hours (Slurm)": "0.0300 GPU-hours (2 of 4 trials)",
        "energy": "4.0000 Wh (2 of 4 trials), read from nvml, rapl",
        "energy not measured": "2 trials: no energy counter readable here: nvml: NVML sees no GPU",
        "queue wait": "20.0 s (2 of 4 trials)",
        "efficiency (trial run time / allocated time)": "72.2% (65.0 s of 90.0 s)",
    }
    rows = html_records(html_tables(section(page, "All trials"))[0])
    assert [r["state"] for r in rows] == ["COMPLETE", "COMPLETE", "PRUNED", "COMPLETE"]
    assert [r["node"] for r in rows] == ["nid001", "nid002", "laptop", "ws1"]
    assert [r["energy_wh"] for r in rows] == ["2.5", "", "", "1.5"]
    assert [r["queue_wait_s"] for r in rows] == ["5.0", "15.0", "", ""]
    assert [r["billed_gpu_hours"] for r in rows] == ["0.005", "0.010", "", ""]
    assert rows[1]["energy_not_measured"].startswith("no energy counter readable here")


def test_trials_csv_carries_the_report_columns(make_spec, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec()
    csv_path, best_path = write_tables(costed_study(spec), spec, workdir / "out")
    frame = pd.read_csv(csv_path)
    assert list(frame["run_time_s"]) == [10.0, 30.0, 5.0, 20.0]
    assert list(frame["allocated_s"]) == [20, 40, 10, 20]
    assert list(frame["energy_wh"].fillna(0)) == [2.5, 0, 0, 1.5]
    assert list(frame["node"]) == ["nid001", "nid002", "laptop", "ws1"]
    assert "user_attrs_energy.wh" not in frame.columns  # one column per fact
    cost = json.loads(best_path.read_text())["cost"]
    assert cost["billed_gpu_hours"] == pytest.approx(0.015)
    assert cost["efficiency"] == pytest.approx(65 / 90)
