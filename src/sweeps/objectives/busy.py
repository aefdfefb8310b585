"""A trial of known length that keeps its device busy: for dispatch and throughput benchmarks.

Pays what a real torch trial pays before its first step (``import torch``, device init, moving
data to the device), then multiplies matrices on the device for ``seconds``.
"""

from __future__ import annotations

import time
from typing import Any

from sweeps.job.handle import TrialHandle


def matmul_for(
    params: dict[str, Any], trial: TrialHandle, seconds: float = 10.0, size: int = 512
) -> float:
    """Multiply ``size``-square matrices for ``seconds``; report each second; return the steps."""
    import torch

    device = torch.device(trial.device)
    a = torch.randn(size, size, device=device) / size**0.5
    b = a.clone()
    steps = 0
    start = time.perf_counter()
    next_report = 1.0
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(8):
            b = torch.tanh(a @ b)
        steps += 8
        if elapsed >= next_report:
            float(b[0, 0])  # once a second: keeps the launch queue from running ahead
            trial.report(float(steps), int(next_report))
            next_report += 1.0
    float(b.sum())  # one host sync at the end
    return float(steps) * float(params.get("scale", 1.0))
