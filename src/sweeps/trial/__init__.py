"""Trials: the handle objectives use, the job-side runner and the Snakemake-side controller."""

from sweeps.trial.handle import TrialHandle, TrialPruned

__all__ = ["TrialHandle", "TrialPruned"]
