"""Published vs reproduced, side by side, with the tolerance used and pass/fail per row."""

from __future__ import annotations

import csv
import html
import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optuna.trial import FrozenTrial, TrialState

from sweeps.study.keys import Key

if TYPE_CHECKING:
    from sweeps.bundle.read import Bundle
    from sweeps.spec import SweepSpec

COLUMNS = [
    "kind",
    "key",
    "metric",
    "params",
    "published",
    "reproduced",
    "abs_diff",
    "tolerance",
    "pass",
]


@dataclass(frozen=True)
class Tolerance:
    """``|a - b| <= atol + rtol * |a|``."""

    rtol: float
    atol: float

    @classmethod
    def replay(cls) -> Tolerance:
        return cls(rtol=1e-6, atol=1e-9)

    @classmethod
    def resample(cls) -> Tolerance:
        return cls(rtol=0.1, atol=1e-9)

    def accepts(self, published: float, reproduced: float) -> bool:
        return abs(published - reproduced) <= self.atol + self.rtol * abs(published)

    def __str__(self) -> str:
        return f"rtol={self.rtol:g} atol={self.atol:g}"


def compare_replayed(
    published: list[dict[str, Any]],
    reproduced: list[FrozenTrial],
    metrics: list[str] | None,
    tolerance: Tolerance,
) -> list[dict[str, Any]]:
    """One row per replayed trial and value: same parameters, same outcome within tolerance."""
    by_slot = _final_by_slot(reproduced)
    rows = []
    for slot, record in enumerate(published):
        trial = by_slot.get(slot)
        names = _metric_names(metrics, len(record["values"] or [None]))
        for i, name in enumerate(names):
            pub = (record["values"] or [None] * len(names))[i]
            rep = trial.values[i] if trial is not None and trial.values else None
            same_params = trial is not None and trial.params == record["params"]
            same_state = trial is not None and trial.state.name == record["state"]
            ok = same_params and same_state and _close(pub, rep, tolerance)
            rows.append(
                _row(
                    "trial",
                    f"slot {slot} (published #{record['number']}, reproduced "
                    f"#{trial.number if trial else '-'})",
                    name,
                    json.dumps(record["params"], sort_keys=True),
                    pub if pub is not None else record["state"],
                    rep if rep is not None else (trial.state.name if trial else "missing"),
                    tolerance,
                    ok,
                )
            )
    return rows


def compare_resampled(
    published: list[dict[str, Any]],
    reproduced: list[FrozenTrial],
    directions: list[str],
    metrics: list[str] | None,
    tolerance: Tolerance,
) -> list[dict[str, Any]]:
    """One row per summary statistic of each value over the complete trials."""
    pub_complete = [r["values"] for r in published if r["state"] == "COMPLETE" and r["values"]]
    rep_complete = [list(t.values) for t in reproduced if t.state == TrialState.COMPLETE]
    rows = [
        _row(
            "summary",
            "n_complete",
            "",
            "",
            len(pub_complete),
            len(rep_complete),
            tolerance,
            tolerance.accepts(len(pub_complete), len(rep_complete)),
        )
    ]
    for i, name in enumerate(_metric_names(metrics, len(directions))):
        pub = [v[i] for v in pub_complete]
        rep = [v[i] for v in rep_complete]
        pick = min if directions[i] == "minimize" else max
        for stat, func in (
            ("best", pick),
            ("median", statistics.median),
            ("mean", statistics.mean),
        ):
            a = func(pub) if pub else None
            b = func(rep) if rep else None
            rows.append(_row("summary", stat, name, "", a, b, tolerance, _close(a, b, tolerance)))
    return rows


def write_comparison(
    rows: list[dict[str, Any]], out: Path, bundle: Bundle, spec: SweepSpec, mode: str
) -> Path:
    """Write ``comparison.csv`` and ``comparison.html``; return the CSV's path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "comparison.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    (out / "comparison.html").write_text(_html(rows, bundle, spec, mode))
    return path


def _html(rows: list[dict[str, Any]], bundle: Bundle, spec: SweepSpec, mode: str) -> str:
    passed = sum(r["pass"] for r in rows)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    body = "\n".join(
        "<tr class='{}'>{}</tr>".format(
            "pass" if r["pass"] else "fail",
            "".join(f"<td>{html.escape(str(r[c]))}</td>" for c in COLUMNS),
        )
        for r in rows
    )
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(spec.study)}: comparison</title>
<style>body{{font-family:sans-serif}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px;font-size:13px}}
tr.pass td:last-child{{background:#d8f5d8}}tr.fail td:last-child{{background:#f8d0d0}}</style>
</head><body>
<h1>{html.escape(spec.study)}: published vs reproduced ({html.escape(mode)})</h1>
<p>Published: {html.escape(str(bundle.about.get("study")))} (fingerprint
{html.escape(str(bundle.about.get("fingerprint")))}, versions
{html.escape(json.dumps(bundle.about.get("versions")))}, code
{html.escape(str(bundle.about.get("code_version")))}).
<b>{passed} of {len(rows)} rows pass.</b></p>
<table><tr>{head}</tr>
{body}
</table></body></html>
"""


def _final_by_slot(trials: list[FrozenTrial]) -> dict[int, FrozenTrial]:
    found: dict[int, FrozenTrial] = {}
    for trial in sorted(trials, key=lambda t: t.number):
        if Key.SLOT in trial.system_attrs:
            found[int(trial.system_attrs[Key.SLOT])] = trial
    return found


def _metric_names(metrics: list[str] | None, n: int) -> list[str]:
    return list(metrics) if metrics and len(metrics) == n else [f"value_{i}" for i in range(n)]


def _close(a: float | None, b: float | None, tolerance: Tolerance) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if math.isnan(a) or math.isnan(b):
        return False
    return tolerance.accepts(a, b)


def _row(
    kind: str,
    key: str,
    metric: str,
    params: str,
    published: Any,
    reproduced: Any,
    tolerance: Tolerance,
    ok: bool,
) -> dict[str, Any]:
    numeric = isinstance(published, int | float) and isinstance(reproduced, int | float)
    return {
        "kind": kind,
        "key": key,
        "metric": metric,
        "params": params,
        "published": published,
        "reproduced": reproduced,
        "abs_diff": abs(published - reproduced) if numeric else "",
        "tolerance": str(tolerance),
        "pass": bool(ok),
    }
