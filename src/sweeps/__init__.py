"""sweeps: hyperparameter sweeps on GPU supercomputers."""

from sweeps.job.handle import TrialHandle, TrialPruned
from sweeps.shipped import workflow_path

__version__ = "0.1.0"
# hpc_sweeps reads this line (without importing) to tell this package from W&B's `sweeps`.
__distribution__ = "hpc-sweeps"
__all__ = ["TrialHandle", "TrialPruned", "__distribution__", "__version__", "workflow_path"]
