"""Seeding a trial process, and torch's deterministic mode for reproducible sweeps."""

from __future__ import annotations

import importlib.util
import os
import random
import sys


def seed_everything(seed: int, reproducible: bool = False) -> None:
    """Seed ``random``, numpy and torch; in reproducible mode also make torch deterministic.

    torch is imported only when it is already loaded or the sweep is reproducible, so objectives
    that do not use torch pay nothing.
    """
    random.seed(seed)
    if "numpy" in sys.modules or importlib.util.find_spec("numpy") is not None:
        import numpy as np

        np.random.seed(seed % 2**32)
    if "torch" not in sys.modules and not (
        reproducible and importlib.util.find_spec("torch") is not None
    ):
        return
    if reproducible:
        # cuBLAS reads this when it creates its handle: set it before the first matmul.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    import torch

    torch.manual_seed(seed)
    if reproducible:
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
