"""Slurm: sbatch scripts, the status board, accounting, outcomes, arrays, requeue, limits."""

from sweeps.dispatch.slurm.backend import SlurmBackend

__all__ = ["SlurmBackend"]
