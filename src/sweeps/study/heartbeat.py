"""Heartbeats: a timestamp attribute that a live process refreshes on the trial it works on.

Optuna's own heartbeat works only inside ``optimize()`` and only with RDB storages. Ours is a
system attribute refreshed from a background thread, so it works with every storage, the
journal file included. The slot controller beats :attr:`Key.CONTROLLER_HEARTBEAT`; a warm lane
beats :attr:`Key.LANE_HEARTBEAT` on the trial it runs (so a controller's beats never hide a
dead lane).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Self

from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import BaseStorage

from sweeps.storage.retry import one_line
from sweeps.study.background import BackgroundLoop
from sweeps.study.keys import Key

_log = logging.getLogger("sweeps.study")


def heartbeat_interval_s() -> float:
    """Seconds between controller heartbeats (``SWEEPS_HEARTBEAT_S``, default 30)."""
    return float(os.environ.get("SWEEPS_HEARTBEAT_S", 30))


def stale_after_s() -> float:
    """Seconds without a heartbeat after which a RUNNING trial is stale
    (``SWEEPS_STALE_AFTER_S``, default ten heartbeats)."""
    return float(os.environ.get("SWEEPS_STALE_AFTER_S", 10 * heartbeat_interval_s()))


class Heartbeat(BackgroundLoop):
    """A context that keeps ``key`` on ``trial_id`` fresh from a daemon thread.

    Once the trial has been finished by someone else, beating stops and ``on_finished`` runs
    (a lane uses it to stop an objective whose result nobody will read).
    """

    def __init__(
        self,
        storage: BaseStorage,
        trial_id: int,
        interval_s: float | None = None,
        key: Key = Key.CONTROLLER_HEARTBEAT,
        on_finished: Callable[[], None] | None = None,
    ) -> None:
        self.storage, self.trial_id, self.key = storage, trial_id, key
        self.interval_s = interval_s if interval_s is not None else heartbeat_interval_s()
        self.on_finished = on_finished
        super().__init__(f"sweeps-heartbeat-{trial_id}", join_s=self.interval_s + 5)

    def beat(self) -> None:
        """Record that the trial's worker is alive now."""
        self.storage.set_trial_system_attr(self.trial_id, self.key, time.time())

    def run(self) -> None:
        while not self.done.wait(self.interval_s):
            try:
                self.beat()
            except UpdateFinishedTrialError:
                if self.on_finished is not None and not self.done.is_set():
                    self.on_finished()
                return
            except Exception as err:  # a missed beat is logged; the grace period absorbs it
                _log.warning("heartbeat of trial id %d failed: %s", self.trial_id, one_line(err))

    def __enter__(self) -> Self:
        self.beat()
        return super().__enter__()
