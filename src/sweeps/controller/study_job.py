"""The workflow's first job: create or load the study, write its receipt, warm up workers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sweeps.controller.tracking import check_tracking
from sweeps.run.strategies import check_dispatch, strategy_for
from sweeps.spec import SweepSpec
from sweeps.storage import open_storage, redact_url
from sweeps.study import prepare_study
from sweeps.study.keys import Key


def run_study_job(
    spec: SweepSpec, receipt: Path | None = None, force: bool = False
) -> dict[str, Any]:
    """Prepare the study and return (and write) its receipt.

    With warm workers, the worker jobs the first trials need are submitted first, so their
    queue wait and start-up overlap preparing the study and Snakemake scheduling the trial
    controllers (workers wait for the study to exist). If the study cannot be prepared, they
    are cancelled.
    """
    check_dispatch(spec)
    check_tracking(spec)  # a tracker the sweep names must be installed where it runs
    open_storage(spec.storage_url)  # an unreachable storage is reported before any submission
    strategy = strategy_for(spec)
    started = strategy.before_study(spec)
    try:
        study = prepare_study(spec, force=force)
    except BaseException:
        if started:
            strategy.undo_before_study(spec)
        raise
    info = {
        "study": spec.study,
        "storage": redact_url(spec.storage_url),
        "fingerprint": study.user_attrs.get(Key.FINGERPRINT),
        "n_trials": spec.budget.n_trials,
        "trials_so_far": len(study.trials),
        "workers_started": len(started),
    }
    if receipt is not None:
        receipt.parent.mkdir(parents=True, exist_ok=True)
        receipt.write_text(json.dumps(info, indent=2) + "\n")
    return info
