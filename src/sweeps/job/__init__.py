"""The trial job: what runs inside each trial's process (runner, the objective's handle)."""

from sweeps.job.handle import TrialHandle, TrialPruned

__all__ = ["TrialHandle", "TrialPruned"]
