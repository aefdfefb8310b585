"""A trial's staging in a process of its own, for tests/job/test_staging.py: several of them
start at once (a barrier) as trials on one node would."""

from __future__ import annotations

from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from sweeps.job.staging import stage_data
from sweeps.spec import SweepSpec


def stage_at_once(spec: SweepSpec, barrier: Barrier, results: Queue[Any]) -> None:
    """Wait for the other processes, stage the sweep's data, put the outcome on ``results``."""
    barrier.wait(timeout=60)
    try:
        staged = stage_data(spec)
    except Exception as err:  # reported, so that the test fails with it at once
        results.put((repr(err), None, None))
        return
    results.put((str(staged.path), staged.reused, staged.staged_s))
