"""Per-slot checkpoints: written atomically, found again by a requeued or retried trial.

A checkpoint belongs to a trial slot, not to a trial number: a retry of a lost attempt is a new
trial (new number) with the same parameters, and continues from its predecessor's last step.
"""

from __future__ import annotations

import io
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FILENAME = "checkpoint.pt"


@dataclass(frozen=True)
class Checkpoint:
    """What an objective saved: its ``state`` after ``step``, and the values reported so far."""

    step: int
    state: Any
    params: dict[str, Any]
    reported: dict[int, float]


def write_checkpoint(directory: Path, checkpoint: Checkpoint) -> Path:
    """Write ``checkpoint`` so that a crash leaves either the old or the new file, never half."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILENAME
    payload = {
        "step": checkpoint.step,
        "state": checkpoint.state,
        "params": checkpoint.params,
        "reported": checkpoint.reported,
    }
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{FILENAME}.")
    try:
        with os.fdopen(fd, "wb") as out:
            _dump(payload, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_checkpoint(directory: Path) -> Checkpoint | None:
    """The last checkpoint written to ``directory``, or None."""
    path = directory / FILENAME
    if not path.exists():
        return None
    payload = _load(path)
    return Checkpoint(
        step=int(payload["step"]),
        state=payload["state"],
        params=dict(payload["params"]),
        reported={int(k): float(v) for k, v in payload["reported"].items()},
    )


def _dump(payload: dict[str, Any], out: io.BufferedWriter) -> None:
    try:
        import torch
    except ImportError:
        pickle.dump(payload, out)
    else:
        torch.save(payload, out)


def _load(path: Path) -> dict[str, Any]:
    try:
        import torch
    except ImportError:
        with path.open("rb") as f:
            return dict(pickle.load(f))
    # Our own file; states hold optimiser internals and plain Python objects.
    return dict(torch.load(path, map_location="cpu", weights_only=False))
