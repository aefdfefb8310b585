"""Slurm: sbatch scripts, the status board, accounting, outcomes, arrays, requeue, limits."""

from sweeps.run.executors.slurm.backend import SlurmBackend

__all__ = ["SlurmBackend"]
