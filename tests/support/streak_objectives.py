"""Objectives that fail the same way, or not, to drive the fail-fast stop in the tests."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from sweeps import TrialHandle


def needs_missing_module(
    params: dict[str, Any], trial: TrialHandle, slow_first_s: float = 0.0
) -> float:
    """Imports ``sweeps_test_fix_me``, a package missing where the trials run until a test
    provides it. While it is missing, the sweep's first trial fails only after
    ``slow_first_s`` (so it is still running when the others have failed). Counts its calls
    in ``$SWEEPS_TEST_CALLS`` (one line per trial)."""
    first = _count(trial)
    try:
        import sweeps_test_fix_me  # type: ignore[import-not-found]  # noqa: F401
    except ModuleNotFoundError:
        if first:
            time.sleep(slow_first_s)
        raise
    return float(params["x"])


def call_decides(
    params: dict[str, Any], trial: TrialHandle, fails: dict[str, str] | None = None
) -> float:
    """Raises the error ``fails`` names for this call of the sweep (``"n": "message"``, n
    counted from 0 in ``$SWEEPS_TEST_CALLS``; trials one at a time), else returns ``x``."""
    _count(trial)
    message = (fails or {}).get(str(_calls() - 1))
    if message is not None:
        raise RuntimeError(message)
    return float(params["x"])


def out_of_memory(params: dict[str, Any], trial: TrialHandle) -> float:
    """Fails as a too-large model does on a GPU: the sizes in the message follow the trial's
    parameters, so no two messages are alike."""
    _count(trial)
    wanted = 2000 + 1000 * abs(float(params["x"]))
    raise RuntimeError(
        f"CUDA out of memory. Tried to allocate {wanted:.2f} MiB. GPU 0 has a total capacity "
        f"of 79.15 GiB of which {wanted / 3000:.2f} GiB is free. Process {os.getpid()} has "
        f"78.1 GiB memory in use (x={params['x']})"
    )


def _calls() -> int:
    return len(Path(os.environ["SWEEPS_TEST_CALLS"]).read_text().splitlines())


def _count(trial: TrialHandle) -> bool:
    """Count this call; whether it is the sweep's first (decided once, atomically)."""
    calls = os.environ.get("SWEEPS_TEST_CALLS")
    if not calls:
        return False
    with Path(calls).open("a") as out:
        out.write(f"{trial.slot}\n")
    try:
        Path(f"{calls}.first").touch(exist_ok=False)
    except FileExistsError:
        return False
    return True
