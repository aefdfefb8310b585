"""A reproducible sweep's batch job: ask one batch of trials, write its receipt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sweeps.spec import SweepSpec
from sweeps.study.batches import ask_batch
from sweeps.study.keys import Key


def run_batch_job(
    spec: SweepSpec, batch: int, receipt: Path, force: bool = False
) -> dict[str, Any]:
    """Ask (or find) batch ``batch``'s trials and write the receipt its slots wait for."""
    trials = ask_batch(spec, batch, force=force)
    info = {
        "study": spec.study,
        "batch": batch,
        "trials": [
            {"slot": t.system_attrs[Key.SLOT], "number": t.number, "params": t.params}
            for t in trials
        ],
    }
    receipt.parent.mkdir(parents=True, exist_ok=True)
    receipt.write_text(json.dumps(info, indent=2, default=str) + "\n")
    return info
