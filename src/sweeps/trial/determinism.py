"""Per-trial seeding for reproducible sweeps: Python, NumPy and torch from the trial's seed."""

from __future__ import annotations

import os
import random
import sys

import numpy as np


def seed_everything(seed: int) -> None:
    """Seed ``random`` and NumPy, and torch too if the objective imported it."""
    # Needed by cuBLAS for deterministic GEMMs; must be set before CUDA initialises.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    random.seed(seed)
    np.random.seed(seed)
    if "torch" in sys.modules:
        seed_torch(seed)


def seed_torch(seed: int) -> None:
    """Seed torch (CPU and all GPUs) and ask for deterministic algorithms where they exist.

    Objectives that import torch inside the function call this themselves with ``trial.seed``.
    """
    import torch

    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
