"""Run in separate processes by tests/worker/test_queue.py: claim until the queue is empty."""

from __future__ import annotations

import os

from sweeps.storage import open_storage
from sweeps.worker.queue import claim_published_trial


def claim_all(url: str, study: str, key: str) -> list[int]:
    """Claim WAITING trials of ``study`` until none is left; return the claimed numbers."""
    storage = open_storage(url)
    study_id = storage.get_study_id_from_name(study)
    claimed = []
    while (
        trial := claim_published_trial(storage, study_id, key, url, {"pid": os.getpid()})
    ) is not None:
        claimed.append(trial.number)
    return claimed
