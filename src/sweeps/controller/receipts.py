"""The small JSON file a trial slot leaves behind: Snakemake's proof that the slot is done."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from optuna.trial import FrozenTrial

from sweeps.study.keys import Attr, Key

NOT_RUN = "NOT_RUN"  # the state of a slot a spent budget ended before it started a trial


@dataclass(frozen=True)
class Receipt:
    """Which trial ended a slot, and how."""

    study: str
    slot: int
    number: int
    state: str
    values: list[float] | None
    params: dict[str, Any]
    attempt: int
    job_id: str | None
    duration_s: float | None

    @classmethod
    def from_trial(cls, study: str, slot: int, trial: FrozenTrial) -> Receipt:
        duration = trial.duration.total_seconds() if trial.duration else None
        return cls(
            study=study,
            slot=slot,
            number=trial.number,
            state=trial.state.name,
            values=list(trial.values) if trial.values else None,
            params=dict(trial.params),
            attempt=int(trial.system_attrs.get(Key.ATTEMPT, 0)),
            job_id=trial.user_attrs.get(Attr.JOB_ID),
            duration_s=duration,
        )


def write_receipt(receipt: Receipt, path: Path) -> None:
    """Write atomically, so a killed controller never leaves a half receipt."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as out:
        json.dump(asdict(receipt), out, indent=2, default=str)
        out.write("\n")
    os.replace(tmp, path)
