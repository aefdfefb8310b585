"""What a sweep cost, from its trials' rows: billed GPU-hours, Slurm's allocated GPU-hours,
energy, queue wait, efficiency. Figures are named by their facts (sweeps.spec.facts): a total is
under its fact's column, with how many trials recorded it under ``<column>_trials``."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sweeps.report.summary import FINAL_STATES
from sweeps.spec.facts import (
    ALLOCATED_GPU_HOURS,
    BILLED_GPU_HOURS,
    BILLED_NODE_HOURS,
    ENERGY_NOT_MEASURED,
    ENERGY_SOURCE,
    ENERGY_WH,
    JOB_ELAPSED_S,
    QUEUE_WAIT_S,
    RUNTIME_S,
    Fact,
)

SUMMED = (BILLED_GPU_HOURS, BILLED_NODE_HOURS, ALLOCATED_GPU_HOURS, ENERGY_WH, QUEUE_WAIT_S)
"""The facts summed over the finished trials."""


def cost_totals(frame: pd.DataFrame) -> dict[str, Any]:
    """Totals over finished trials, each with how many trials recorded it (None: none did)."""
    if frame.empty:
        return {"trials": 0}
    done = frame[frame["state"].isin(FINAL_STATES)]
    totals: dict[str, Any] = {"trials": len(done)}
    for fact in SUMMED:
        known = pd.to_numeric(done[fact.column], errors="coerce").dropna()
        totals[fact.column] = float(known.sum()) if len(known) else None
        totals[_trials(fact)] = len(known)
    totals["energy_sources"] = sorted(done[ENERGY_SOURCE.column].dropna().unique().tolist())
    missing = done[ENERGY_NOT_MEASURED.column].dropna()
    totals[ENERGY_NOT_MEASURED.column] = missing.iloc[0] if len(missing) else None
    run, held = RUNTIME_S.column, JOB_ELAPSED_S.column
    both = done[[run, held]].apply(pd.to_numeric, errors="coerce").dropna()
    allocated = float(both[held].sum())
    totals[run] = float(both[run].sum())
    totals[held] = allocated
    totals["efficiency"] = totals[run] / allocated if allocated > 0 else None
    return totals


def _trials(fact: Fact) -> str:
    return f"{fact.column}_trials"


def cost_lines(totals: dict[str, Any]) -> list[tuple[str, str]]:
    """The totals as (what, how much) lines for a reader; an unrecorded figure says so."""
    n = totals["trials"]
    if n == 0:
        return [("finished trials", "0")]

    def figure(fact: Fact, digits: int) -> str:
        value, count = totals[fact.column], totals[_trials(fact)]
        if value is None:
            return "not recorded"
        return f"{value:.{digits}f} {fact.unit} ({count} of {n} trials)"

    energy = figure(ENERGY_WH, 4)
    if totals["energy_sources"]:
        energy += f", read from {', '.join(totals['energy_sources'])}"
    lines = [
        ("finished trials", str(n)),
        (BILLED_GPU_HOURS.label, figure(BILLED_GPU_HOURS, 4)),
    ]
    if totals[_trials(BILLED_NODE_HOURS)]:  # a partition billed by whole nodes
        lines.append((BILLED_NODE_HOURS.label, figure(BILLED_NODE_HOURS, 4)))
    lines += [
        (ALLOCATED_GPU_HOURS.label, figure(ALLOCATED_GPU_HOURS, 4)),
        (ENERGY_WH.label, energy),
    ]
    measured = totals[_trials(ENERGY_WH)]
    if measured < n:
        why = totals[ENERGY_NOT_MEASURED.column] or "no reason recorded"
        lines.append((ENERGY_NOT_MEASURED.label, f"{n - measured} trials: {why}"))
    lines.append((QUEUE_WAIT_S.label, figure(QUEUE_WAIT_S, 1)))
    efficiency = "not recorded"
    if totals["efficiency"] is not None:
        run_s, held_s = totals[RUNTIME_S.column], totals[JOB_ELAPSED_S.column]
        unit = RUNTIME_S.unit
        efficiency = f"{totals['efficiency']:.1%} ({run_s:.1f} {unit} of {held_s:.1f} {unit})"
    lines.append((f"efficiency ({RUNTIME_S.label} / {JOB_ELAPSED_S.label})", efficiency))
    return lines
