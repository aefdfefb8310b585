"""Files between controllers and warm workers, in the workers' folder: wake-ups and stop.

The study stays the source of truth; the wake-ups only cut the wait between polls of it. A
controller rings the doorbell after publishing a trial, so idle lanes look for it at once; a
lane drops a flag when it has recorded a trial's outcome, so its controller reads it at once.
Both sides still poll the study on their own schedule, so a lost wake-up costs only latency.
The stop file asks the sweep's workers to exit once their current trials end.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

DOORBELL = "doorbell"
STOP_FILE = "STOP"
CHECK_S = 0.03  # how often a waiting side looks at the signal file (a stat)


def ring(registry: Path) -> None:
    """Tell idle lanes a trial was published."""
    with contextlib.suppress(OSError):
        (registry / DOORBELL).touch()


def wait_for_doorbell(registry: Path, seen: int, timeout_s: float) -> int:
    """Sleep until the doorbell rings after ``seen`` (its mtime) or ``timeout_s`` passes;
    return the doorbell's current mtime."""
    deadline = time.monotonic() + timeout_s
    while True:
        now = _mtime(registry / DOORBELL)
        if now != seen or time.monotonic() >= deadline:
            return now
        time.sleep(CHECK_S)


def doorbell_mtime(registry: Path) -> int:
    """The doorbell's mtime (0 before it first rang)."""
    return _mtime(registry / DOORBELL)


def flag_outcome(registry: Path, trial_id: int) -> None:
    """Tell the trial's controller its outcome is recorded."""
    with contextlib.suppress(OSError):
        (registry / f"outcome-{trial_id}").touch()


def wait_for_outcome_flag(registry: Path, trial_id: int, timeout_s: float) -> bool:
    """Sleep until the trial's outcome flag appears (and take it) or ``timeout_s`` passes."""
    flag = registry / f"outcome-{trial_id}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if flag.exists():
            flag.unlink(missing_ok=True)
            return True
        time.sleep(CHECK_S)
    return False


def _mtime(path: Path) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


def ask_to_stop(registry: Path) -> None:
    """Ask the sweep's workers to exit once their current trials end."""
    registry.mkdir(parents=True, exist_ok=True)
    (registry / STOP_FILE).touch()


def stop_requested(registry: Path) -> bool:
    return (registry / STOP_FILE).exists()


def clear_stop(registry: Path) -> None:
    (registry / STOP_FILE).unlink(missing_ok=True)
