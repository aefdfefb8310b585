"""One Snakemake trial job: run the slot's controller, then print and log its progress line."""

from __future__ import annotations

import sys
from pathlib import Path

from sweeps.controller.progress import progress_line
from sweeps.controller.receipts import Receipt
from sweeps.controller.slot import run_slot
from sweeps.spec import SweepSpec
from sweeps.study import load_study
from sweeps.study.kept import keep_finished


def run_slot_job(
    spec: SweepSpec, slot: int, receipt: Path, log: Path | None = None, force: bool = False
) -> Receipt:
    """What the workflow's trial rule runs, as a process (`sweeps trial`) or a thread."""
    result = run_slot(spec, slot, receipt, force=force)
    study = load_study(spec, check=False)
    line = progress_line(study, spec, result)
    print(line, file=sys.stderr, flush=True)
    keep_finished(study, spec)  # the next slot's process reads only newer trials
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as out:
            out.write(line + "\n")
    return result
