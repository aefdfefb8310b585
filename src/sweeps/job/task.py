"""What travels to a trial job and what comes back: plain, picklable, secret-free."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sweeps.spec import SweepSpec

State = Literal["complete", "pruned", "fail"]


@dataclass(frozen=True)
class TrialTask:
    """One attempt of one trial, as handed to the executor."""

    spec: SweepSpec
    trial_id: int
    number: int
    slot: int
    attempt: int
    params: dict[str, Any]
    seed: int
    checkpoint_dir: str
    log_path: str = ""
    trials_per_gpu: int = 1  # trials sharing each of its GPUs (the run strategy's packing)
    data_identity: dict[str, Any] | None = None  # data.stage's, as the controller found it


@dataclass
class TrialOutcome:
    """How an attempt ended, as reported by the job (or by the controller for a lost job)."""

    state: State
    values: list[float] | None = None
    reason: str | None = None
    traceback: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    retryable: bool = False
