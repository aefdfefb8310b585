"""Machine-readable results: ``trials.csv`` and ``best.json``."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pandas as pd

from sweeps.report.columns import trials_frame, value_columns
from sweeps.report.cost import cost_totals
from sweeps.report.summary import summarize
from sweeps.spec import SweepSpec
from sweeps.spec.facts import BILLED_GPU_HOURS, ENERGY_WH, NODE, RUNTIME_S

BEST_COST_COLUMNS = [fact.column for fact in (RUNTIME_S, BILLED_GPU_HOURS, ENERGY_WH, NODE)]


def best_frame(frame: pd.DataFrame, numbers: list[int], spec: SweepSpec) -> pd.DataFrame:
    """The best trials' rows (one for a single objective, the Pareto front for several):
    number, values, params and what each cost."""
    if frame.empty or not numbers:
        return pd.DataFrame()
    params = [c for c in frame.columns if c.startswith("params_")]
    columns = ["number", *value_columns(spec), *params, *BEST_COST_COLUMNS]
    return frame[frame["number"].isin(numbers)][columns]


def write_tables(study: optuna.Study, spec: SweepSpec, out_dir: Path) -> tuple[Path, Path]:
    """Write ``trials.csv`` and ``best.json`` (with the sweep's cost totals) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, best_path = out_dir / "trials.csv", out_dir / "best.json"
    frame = trials_frame(study, spec)
    frame.to_csv(csv_path, index=False)
    summary = summarize(study, spec)
    best = {
        "study": spec.study,
        "directions": list(spec.directions),
        "metrics": spec.metrics,
        "best": summary.best,
        "counts": summary.final_counts,
        "cost": cost_totals(frame),
    }
    best_path.write_text(json.dumps(best, indent=2, default=str) + "\n")
    return csv_path, best_path


__all__ = ["best_frame", "trials_frame", "write_tables"]
