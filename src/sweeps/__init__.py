"""sweeps: hyperparameter sweeps on GPU supercomputers.

``TrialHandle`` and ``TrialPruned`` are loaded on first use, so ``from sweeps import client``
in a training script imports nothing heavy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sweeps.job.handle import TrialHandle, TrialPruned

__version__ = "0.1.0"
__all__ = ["TrialHandle", "TrialPruned", "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("TrialHandle", "TrialPruned"):
        from sweeps.job import handle

        return getattr(handle, name)
    raise AttributeError(f"module 'sweeps' has no attribute {name!r}")
