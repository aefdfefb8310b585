"""Seeds derived from the sweep's seed: per trial number, per sampling stream."""

from __future__ import annotations

import numpy as np


def derive_seed(sweep_seed: int, number: int) -> int:
    """A 31-bit seed unique to (sweep seed, number), stable across platforms and runs."""
    state = np.random.SeedSequence([sweep_seed, number]).generate_state(1)
    return int(state[0] & 0x7FFFFFFF)
