"""``report.html``: where the sweep stands, its best trials, what it cost, every trial, and the
figures (optimization history and importances, or the Pareto front for several objectives)."""

from __future__ import annotations

import html
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
from optuna import visualization as vis

from sweeps.report.columns import CSV_ONLY, trials_frame
from sweeps.report.cost import cost_lines, cost_totals
from sweeps.report.published import compare_published
from sweeps.report.summary import Summary, summarize
from sweeps.report.tables import best_frame
from sweeps.spec import SweepSpec
from sweeps.study.budget_record import TrialBudget, recorded_budget

STYLE = (
    "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
    "font-size:90%}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
    ".note{color:#666}.published td{text-align:left}</style>"
)


def write_html_report(study: optuna.Study, spec: SweepSpec, path: Path) -> Path:
    """A self-contained HTML page (plotly inlined once, no network needed to view it)."""
    summary = summarize(study, spec)
    frame = trials_frame(study, spec)
    best = best_frame(frame, [b["number"] for b in summary.best], spec)
    best_title = "Best trials (Pareto front)" if spec.multi_objective else "Best parameters"
    sections = [
        ("Where the sweep stands", _table(_standing(summary, recorded_budget(study, spec)))),
        *_published_section(study, spec),
        (best_title, _table(best) if not best.empty else _note("No trial has completed yet.")),
        ("What the sweep cost", _table(pd.DataFrame(cost_lines(cost_totals(frame))))),
        *_figure_sections(study, spec),
        ("All trials", _table(frame.drop(columns=_internal(frame)))),
    ]
    body = "\n".join(f"<h2>{html.escape(t)}</h2>\n{s}" for t, s in sections)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(spec.study)}: sweep report</title>{STYLE}</head><body>"
        f"<h1>{html.escape(spec.study)}</h1><p>{html.escape(spec.description)}</p>"
        f"{body}</body></html>\n"
    )
    return path


def _published_section(study: optuna.Study, spec: SweepSpec) -> list[tuple[str, str]]:
    """A published sweep's run beside its published figures (none for other sweeps)."""
    if spec.published is None:
        return []
    comparison = compare_published(study, spec)
    lines = "".join(f"<p>{html.escape(line)}</p>" for line in comparison.header())
    table = f"<div class='published'>{_table(comparison.frame())}</div>"
    return [("Against the published figures", lines + table)]


def _standing(summary: Summary, budget: TrialBudget) -> pd.DataFrame:
    rows: list[tuple[str, object]] = [("budget (trials)", budget.n_trials)]
    if budget.shortened:
        rows.append(("budget shortened", budget.line()))
    rows.append(("slots done", summary.slots_done))
    rows += [(state.lower(), count) for state, count in summary.final_counts.items()]
    return pd.DataFrame(rows)


def _internal(frame: pd.DataFrame) -> list[str]:
    """Columns trials.csv keeps for machines, left out of the page's table."""
    machine = ("user_attrs_", "datetime_")
    return [c for c in frame.columns if c.startswith(machine) or c in CSV_ONLY]


def _table(frame: pd.DataFrame) -> str:
    header = not all(isinstance(c, int) for c in frame.columns)
    return frame.to_html(index=False, header=header, na_rep="", escape=True, border=0)


def _note(text: str) -> str:
    return f"<p class='note'>{html.escape(text)}</p>"


def _figure_sections(study: optuna.Study, spec: SweepSpec) -> list[tuple[str, str]]:
    sections: list[tuple[str, str]] = []
    include_js: bool | str = True
    for title, build in _figures(study, spec):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                figure = build()
        except (ValueError, RuntimeError) as err:  # e.g. too few trials for importances
            sections.append((title, _note(f"Not available: {err}")))
            continue
        sections.append((title, figure.to_html(full_html=False, include_plotlyjs=include_js)))
        include_js = False
    return sections


def _figures(study: optuna.Study, spec: SweepSpec) -> list[tuple[str, Callable[[], Any]]]:
    figures: list[tuple[str, Callable[[], Any]]] = []
    if len(study.directions) == 1:
        figures.append(("Optimization history", lambda: vis.plot_optimization_history(study)))
        figures.append(("Parameter importances", lambda: vis.plot_param_importances(study)))
        figures.append(("Intermediate values", lambda: vis.plot_intermediate_values(study)))
        return figures
    names = spec.metrics or [f"objective {i}" for i in range(len(study.directions))]
    figures.append(("Pareto front", lambda: vis.plot_pareto_front(study, target_names=names)))
    for i, name in enumerate(names):
        figures.append((f"Parameter importances ({name})", _importances(study, i, name)))
    return figures


def _importances(study: optuna.Study, index: int, name: str) -> Callable[[], Any]:
    def build() -> Any:
        return vis.plot_param_importances(study, target=lambda t: t.values[index], target_name=name)

    return build
