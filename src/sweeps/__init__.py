"""sweeps: hyperparameter sweeps on GPU supercomputers.

``TrialHandle``, ``TrialPruned`` and ``workflow_path`` are loaded on first use, so
``from sweeps import client`` in a training script imports nothing heavy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sweeps.job.handle import TrialHandle, TrialPruned
    from sweeps.shipped import workflow_path

__version__ = "0.1.0"
# hpc_sweeps reads this line (without importing) to tell this package from W&B's `sweeps`.
__distribution__ = "hpc-sweeps"
__all__ = ["TrialHandle", "TrialPruned", "__distribution__", "__version__", "workflow_path"]


def __getattr__(name: str) -> Any:
    if name in ("TrialHandle", "TrialPruned"):
        from sweeps.job import handle

        return getattr(handle, name)
    if name == "workflow_path":
        from sweeps.shipped import workflow_path

        return workflow_path
    raise AttributeError(f"module 'sweeps' has no attribute {name!r}")
