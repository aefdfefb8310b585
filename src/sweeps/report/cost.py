"""What a sweep cost, from its trials' rows: billed GPU-hours, energy, queue wait, efficiency."""

from __future__ import annotations

from typing import Any

import pandas as pd

FINISHED = ("COMPLETE", "PRUNED", "FAIL")


def cost_totals(frame: pd.DataFrame) -> dict[str, Any]:
    """Totals over finished trials, each with how many trials recorded it (None: none did)."""
    if frame.empty:
        return {"trials": 0}
    done = frame[frame["state"].isin(FINISHED)]
    totals: dict[str, Any] = {"trials": len(done)}
    for column in ("billed_gpu_hours", "gpu_hours", "energy_wh", "queue_wait_s"):
        known = pd.to_numeric(done[column], errors="coerce").dropna()
        totals[column] = float(known.sum()) if len(known) else None
        totals[f"{column}_trials"] = len(known)
    totals["energy_sources"] = sorted(done["energy_source"].dropna().unique().tolist())
    missing = done["energy_not_measured"].dropna()
    totals["energy_not_measured"] = missing.iloc[0] if len(missing) else None
    both = done[["run_time_s", "allocated_s"]].apply(pd.to_numeric, errors="coerce").dropna()
    allocated = float(both["allocated_s"].sum())
    totals["run_time_s"] = float(both["run_time_s"].sum())
    totals["allocated_s"] = allocated
    totals["efficiency"] = totals["run_time_s"] / allocated if allocated > 0 else None
    return totals


def cost_lines(totals: dict[str, Any]) -> list[tuple[str, str]]:
    """The totals as (what, how much) lines for a reader; an unrecorded figure says so."""
    n = totals["trials"]
    if n == 0:
        return [("finished trials", "0")]

    def figure(column: str, unit: str, digits: int) -> str:
        value, count = totals[column], totals[f"{column}_trials"]
        if value is None:
            return "not recorded"
        return f"{value:.{digits}f} {unit} ({count} of {n} trials)"

    energy = figure("energy_wh", "Wh", 4)
    if totals["energy_sources"]:
        energy += f", read from {', '.join(totals['energy_sources'])}"
    lines = [
        ("finished trials", str(n)),
        ("billed GPU-hours", figure("billed_gpu_hours", "h", 4)),
        ("allocated GPU-hours (Slurm)", figure("gpu_hours", "h", 4)),
        ("energy", energy),
    ]
    if totals["energy_wh_trials"] < n:
        why = totals["energy_not_measured"] or "no reason recorded"
        lines.append(("energy not measured", f"{n - totals['energy_wh_trials']} trials: {why}"))
    lines.append(("queue wait", figure("queue_wait_s", "s", 1)))
    efficiency = "not recorded"
    if totals["efficiency"] is not None:
        run_s, allocated_s = totals["run_time_s"], totals["allocated_s"]
        efficiency = f"{totals['efficiency']:.1%} ({run_s:.1f} s of {allocated_s:.1f} s)"
    lines.append(("efficiency (trial time / allocated time)", efficiency))
    return lines
