from __future__ import annotations

import json
from pathlib import Path

import optuna
import pandas as pd
from optuna.trial import TrialState

from sweeps.report.html import write_html_report
from sweeps.report.summary import summarize
from sweeps.report.tables import write_tables
from sweeps.study import prepare_study
from sweeps.study.keys import Key


def filled_study(spec):  # type: ignore[no-untyped-def]
    study = prepare_study(spec)
    dist = {"x": optuna.distributions.FloatDistribution(-5, 5)}
    for slot, (x, state) in enumerate([(1.0, "ok"), (3.5, "ok"), (0.0, "pruned"), (2.2, "ok")]):
        pruned = state == "pruned"
        study.add_trial(
            optuna.trial.create_trial(
                params={"x": x},
                distributions=dist,
                system_attrs={Key.SLOT: slot},
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
