"""sweeps: hyperparameter sweeps on GPU supercomputers."""

from sweeps.job.handle import TrialHandle, TrialPruned

__version__ = "0.1.0"
__all__ = ["TrialHandle", "TrialPruned", "__version__"]
