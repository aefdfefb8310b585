"""``report.html``: optimization history, parameter importances, intermediate values."""

from __future__ import annotations

import html
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
from optuna import visualization as vis

from sweeps.report.summary import summarize
from sweeps.spec import SweepSpec


def write_html_report(study: optuna.Study, spec: SweepSpec, path: Path) -> Path:
    """A self-contained HTML page (plotly inlined once, no network needed to view it)."""
    sections: list[tuple[str, str]] = []
    include_js: bool | str = True
    for title, build in _figures(study):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                figure = build()
        except (ValueError, RuntimeError) as err:  # e.g. too few trials for importances
            sections.append((title, f"<p class='note'>Not available: {html.escape(str(err))}</p>"))
            continue
        sections.append((title, figure.to_html(full_html=False, include_plotlyjs=include_js)))
        include_js = False
    summary = summarize(study, spec)
    body = "\n".join(f"<h2>{html.escape(t)}</h2>\n{s}" for t, s in sections)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(spec.study)}: sweep report</title></head><body>"
        f"<h1>{html.escape(spec.study)}</h1><p>{html.escape(spec.description)}</p>"
        f"<pre>{html.escape(_summary_text(summary.as_dict()))}</pre>{body}</body></html>\n"
    )
    return path


def _figures(study: optuna.Study) -> list[tuple[str, Callable[[], Any]]]:
    figures: list[tuple[str, Callable[[], Any]]] = []
    if len(study.directions) == 1:
        figures.append(("Optimization history", lambda: vis.plot_optimization_history(study)))
        figures.append(("Parameter importances", lambda: vis.plot_param_importances(study)))
        figures.append(("Intermediate values", lambda: vis.plot_intermediate_values(study)))
    else:
        figures.append(("Pareto front", lambda: vis.plot_pareto_front(study)))
        for i in range(len(study.directions)):
            figures.append((f"Parameter importances (objective {i})", _importances(study, i)))
    return figures


def _importances(study: optuna.Study, index: int) -> Callable[[], Any]:
    def build() -> Any:
        return vis.plot_param_importances(study, target=lambda t: t.values[index])

    return build


def _summary_text(summary: dict[str, object]) -> str:
    return "\n".join(f"{key}: {value}" for key, value in summary.items())
