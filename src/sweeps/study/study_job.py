"""The workflow's first job: create or load the study, write its receipt, warm up workers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sweeps.spec import SweepSpec
from sweeps.storage import redact_url
from sweeps.study import FINGERPRINT, prepare_study
from sweeps.study.slots import slots_done


def run_study_job(
    spec: SweepSpec, receipt: Path | None = None, force: bool = False
) -> dict[str, Any]:
    """Prepare the study and return (and write) its receipt.

    With warm workers, the worker jobs the first trials need are submitted now, so their
    queue wait and start-up overlap the scheduling of the trial controllers.
    """
    study = prepare_study(spec, force=force)
    info = {
        "study": spec.study,
        "storage": redact_url(spec.storage_url),
        "fingerprint": study.user_attrs.get(FINGERPRINT),
        "n_trials": spec.budget.n_trials,
        "trials_so_far": len(study.trials),
    }
    if spec.dispatch.mode == "warm":
        from sweeps.dispatch.warm import WorkerPool

        left = spec.budget.n_trials - slots_done(
            study.get_trials(deepcopy=False), spec.budget.max_retries
        )
        info["workers_started"] = len(WorkerPool(spec).provide(lambda: min(spec.parallelism, left)))
    if receipt is not None:
        receipt.parent.mkdir(parents=True, exist_ok=True)
        receipt.write_text(json.dumps(info, indent=2) + "\n")
    return info
