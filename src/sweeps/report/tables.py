"""Machine-readable results: ``trials.csv`` and ``best.json``."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pandas as pd

from sweeps.report.summary import summarize
from sweeps.spec import SweepSpec
from sweeps.study.keys import Key


def trials_frame(study: optuna.Study) -> pd.DataFrame:
    """One row per trial: number, slot, attempt, state, values, params, timings, user attributes."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        row: dict[str, object] = {
            "number": t.number,
            "slot": t.system_attrs.get(Key.SLOT),
            "attempt": t.system_attrs.get(Key.ATTEMPT),
            "state": t.state.name,
            "datetime_start": t.datetime_start,
            "datetime_complete": t.datetime_complete,
            "duration_s": t.duration.total_seconds() if t.duration else None,
        }
        for i, value in enumerate(t.values or []):
            row["value" if len(study.directions) == 1 else f"value_{i}"] = value
        row.update({f"params_{k}": v for k, v in t.params.items()})
        row.update({f"user_attrs_{k}": v for k, v in t.user_attrs.items() if k != "traceback"})
        rows.append(row)
    return pd.DataFrame(rows)


def write_tables(study: optuna.Study, spec: SweepSpec, out_dir: Path) -> tuple[Path, Path]:
    """Write ``trials.csv`` and ``best.json`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, best_path = out_dir / "trials.csv", out_dir / "best.json"
    trials_frame(study).to_csv(csv_path, index=False)
    summary = summarize(study, spec)
    best = {
        "study": spec.study,
        "directions": list(spec.directions),
        "metrics": spec.metrics,
        "best": summary.best,
        "counts": summary.final_counts,
    }
    best_path.write_text(json.dumps(best, indent=2, default=str) + "\n")
    return csv_path, best_path
