"""Where a trial's files live: checkpoints per slot, a log file per trial."""

from __future__ import annotations

from pathlib import Path

from sweeps.spec import SweepSpec


def results_dir(spec: SweepSpec) -> Path:
    """The sweep's results directory (relative to the sweep's working directory)."""
    return Path("results") / spec.study


def checkpoint_dir(spec: SweepSpec, slot: int) -> Path:
    """The slot's checkpoint directory: shared by every attempt (retry, requeue) of the slot."""
    return results_dir(spec) / "checkpoints" / f"slot-{slot}"


def trial_log_path(spec: SweepSpec, number: int) -> Path:
    """The trial's own log file, the artifact the objective's logger writes."""
    return results_dir(spec) / "trial-logs" / f"{number}.log"
