"""One line per finished trial slot, for the terminal running the sweep."""

from __future__ import annotations

import sys
from pathlib import Path

import optuna

from sweeps.controller.receipts import NOT_RUN, Receipt
from sweeps.report.summary import summarize
from sweeps.spec import SweepSpec
from sweeps.study import load_study
from sweeps.study.kept import keep_finished


def report_slot(spec: SweepSpec, receipt: Receipt, log: Path | None = None) -> None:
    """After a slot ends: print its progress line (and append it to ``log``), and keep the
    finished trials so the next slot's process reads only newer ones."""
    study = load_study(spec, check=False)
    line = progress_line(study, spec, receipt)
    print(line, file=sys.stderr, flush=True)
    keep_finished(study, spec)
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as out:
            out.write(line + "\n")


def progress_line(study: optuna.Study, spec: SweepSpec, receipt: Receipt) -> str:
    """``[study] trial 7 COMPLETE 0.93 | 8/20 done: 6 complete, 1 pruned, 1 failed | best …``."""
    summary = summarize(study, spec)
    value = "" if receipt.values is None else " " + ", ".join(f"{v:.6g}" for v in receipt.values)
    counts = summary.final_counts
    best = summary.best[0] if summary.best else None
    best_text = "none yet"
    if best is not None:
        best_text = ", ".join(f"{v:.6g}" for v in best["values"]) + f" (trial {best['number']})"
    what = f"trial {receipt.number} {receipt.state}{value}"
    if receipt.state == NOT_RUN:
        what = f"slot {receipt.slot} not run (a budget is spent)"
    return (
        f"[{spec.study}] {what} | "
        f"{summary.slots_done}/{summary.n_trials} done: {counts['COMPLETE']} complete, "
        f"{counts['PRUNED']} pruned, {counts['FAIL']} failed | best {best_text}"
    )
