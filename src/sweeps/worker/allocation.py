"""A warm worker's whole allocation, billed, recorded in the study when the worker exits.

Each trial a lane ran is charged its share of the worker (its time x its GPU share); what the
worker held beyond that (starting, idle lanes, the wait before it exits) is the study's
overhead, which :func:`sweeps.study.spending.worker_overhead` reports.
"""

from __future__ import annotations

import json
import os

from sweeps.run.executors.registry import backend_for
from sweeps.spec import SweepSpec
from sweeps.spec.facts import BILLED_GPU_HOURS
from sweeps.storage import open_storage
from sweeps.study.keys import Key
from sweeps.worker.lanes import JOB_ID_VAR, worker_gpus


def record_allocation(spec: SweepSpec, worker_id: str, held_s: float) -> bool:
    """Record the billed GPU-hours of the worker's job for the ``held_s`` seconds it ran (only
    where the executor bills: a cluster job); whether it did. The record holds the job's cost
    facts by their names (:data:`BILLED_GPU_HOURS`, its billing rule)."""
    gpus = worker_gpus(spec)
    job_id = os.environ.get(JOB_ID_VAR, "")
    groups = backend_for(spec).job_facts(spec, job_id, gpus, gpus, held_s)
    cost = (groups or {}).get(BILLED_GPU_HOURS.group)
    if cost is None:
        return False
    record = {"job_id": job_id, "held_s": round(held_s, 3), **cost}
    storage = open_storage(spec.storage_url)
    study_id = storage.get_study_id_from_name(spec.study)
    key = f"{Key.WORKER_ALLOCATION}:{worker_id}"
    storage.set_study_user_attr(study_id, key, json.dumps(record))
    return True
