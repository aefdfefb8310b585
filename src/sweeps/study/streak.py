"""Streaks of same-cause failures, and the stop they cause, recorded in the study.

A streak is the trials that ended last, in the order they ended, all FAIL with the same
normalised cause (``ModuleNotFoundError: No module named 'x'``). Failures lost to the
infrastructure (retryable: a dead node, a killed controller) neither count nor break it; a
COMPLETE or PRUNED trial breaks it. A run that stops records :class:`StopRecord` as the study
user attribute :attr:`Key.STOPPED`; the next run's streak counts only trials that ended after
the recorded one.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from sweeps.study.keys import Attr, Key

_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]+\b")
_JOB = re.compile(r"\b([Jj]ob) \d+(?:_\d+)?\b")  # "Slurm job 42_3 ended OUT_OF_MEMORY"


def normalise_cause(reason: str) -> str:
    """A failure reason with whitespace collapsed, memory addresses and job ids masked."""
    return _JOB.sub(r"\1 N", _ADDRESS.sub("0x…", " ".join(reason.split())))


def _ended_for_good(trial: FrozenTrial) -> bool:
    """Finished, and not an attempt lost to the infrastructure."""
    lost = trial.state == TrialState.FAIL and bool(trial.system_attrs.get(Key.RETRYABLE))
    return trial.state.is_finished() and trial.datetime_complete is not None and not lost


def _order(trial: FrozenTrial) -> tuple[str, int]:
    assert trial.datetime_complete is not None
    return trial.datetime_complete.isoformat(), trial.number


@dataclass(frozen=True)
class Streak:
    """Trials that failed in a row with one cause, in the order they ended."""

    cause: str
    trials: list[FrozenTrial]

    @property
    def numbers(self) -> list[int]:
        return [t.number for t in self.trials]


def current_streak(
    trials: list[FrozenTrial], after: tuple[str, int] | None = None
) -> Streak | None:
    """The streak the trials that ended last make (only those ended after ``after``, an
    end time and trial number); None when the last one did not fail."""
    ended = sorted((t for t in trials if _ended_for_good(t)), key=_order)
    if after is not None:
        ended = [t for t in ended if _order(t) > tuple(after)]
    streak: list[FrozenTrial] = []
    cause = None
    for trial in reversed(ended):
        if trial.state != TrialState.FAIL:
            break
        this = normalise_cause(str(trial.user_attrs.get(Attr.FAIL_REASON, "unknown")))
        if cause is not None and this != cause:
            break
        cause = this
        streak.append(trial)
    if cause is None:
        return None
    return Streak(cause, list(reversed(streak)))


def ended_after(trials: list[FrozenTrial], after: tuple[str, int]) -> int:
    """How many trials ended for good after ``after`` (an end time and trial number)."""
    return sum(_ended_for_good(t) and _order(t) > tuple(after) for t in trials)


@dataclass(frozen=True)
class StopRecord:
    """A run stopped by a streak: its cause, its trials, which run, when."""

    cause: str
    trials: list[int]
    run: str
    at: float
    after: tuple[str, int]  # the last trial of the streak: where the next streak starts

    @classmethod
    def of(cls, streak: Streak, run: str) -> StopRecord:
        return cls(streak.cause, streak.numbers, run, time.time(), _order(streak.trials[-1]))


def read_stop(study: optuna.Study) -> StopRecord | None:
    """The study's last stop, if any run stopped."""
    raw = study.user_attrs.get(Key.STOPPED)
    if not raw:
        return None
    data: dict[str, Any] = json.loads(raw)
    data["after"] = tuple(data["after"])
    return StopRecord(**data)


def record_stop(study: optuna.Study, record: StopRecord) -> None:
    """Record ``record`` as the study's last stop."""
    study.set_user_attr(Key.STOPPED, json.dumps(asdict(record)))
