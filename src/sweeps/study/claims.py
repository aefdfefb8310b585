"""Claiming a trial slot: one controller at a time decides what a slot does next.

Two runs of one sweep (a restart from a second login shell while the first still runs, two
people sharing a study) start the same slots' controllers. Each controller plans its slot and
creates or takes over its trial while holding the slot's claim, a mutex in the study's own
storage (:mod:`sweeps.storage.mutex`). The first one creates the trial (with a heartbeat);
whoever comes next finds it RUNNING with a live controller and waits for it, so a slot never
gets a second trial and ``n_trials`` stays a total however many runs there are.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from sweeps.storage.mutex import storage_mutex


def slot_claim(url: str, study: str, slot: int) -> AbstractContextManager[None]:
    """Hold slot ``slot`` of ``study`` in the storage at ``url`` for the block."""
    return storage_mutex(url, f"study:{study}:slot:{slot}")
