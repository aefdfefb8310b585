"""Streaks of same-cause failures, and the stop they cause, recorded in the study.

A streak is the trials that ended last, in the order they ended, all FAIL with the same
normalised cause (``ModuleNotFoundError: No module named 'x'``; numbers, sizes, addresses and
the trial's parameter values masked, so ``CUDA out of memory. Tried to allocate 2.44 GiB`` is
one cause whatever it tried to allocate). Failures lost to the
infrastructure (retryable: a dead node, a killed controller) neither count nor break it; a
COMPLETE or PRUNED trial breaks it. A run that stops records :class:`StopRecord` as the study
user attribute :attr:`Key.STOPPED`; the next run's streak counts only trials that ended after
the recorded one.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from sweeps.study.keys import Attr, Key

# What varies from one trial to the next in one cause's message, masked in this order. Exit
# codes and signal numbers are kept: ``exit code 1`` and ``exit code 2`` are different causes.
_MASKS = re.compile(
    "|".join(
        (
            r"(?P<kept>\b(?:exit (?:code|status)|signal) -?\d+)",
            r"(?P<uuid>\b[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b)",
            r"(?P<address>\b0x[0-9a-fA-F]+\b)",
            # a hash or random id: 8 or more hex digits, letters and digits among them
            r"(?P<hex>\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b)",
            r"(?P<temp>\btmp\w{8}\b)",  # a tempfile name: /tmp/tmpk3j_x9qz
            # a number (a size with its unit): 2500, -0.5, 3e-05, 1.5.2, 12:30:01, 2.44 GiB,
            # 42_3 (an array job), also in paths and names (job_41, slurm-41.out); never the
            # digits of a word (x1, float16, python3.11)
            r"(?P<number>(?:(?<![\w.])[-+])?(?<![A-Za-z0-9.])\d+(?:[.,:_]\d+)*(?:[eE][-+]?\d+)?"
            r"(?:\s?(?:[KMGTPE]i?B|bytes|B)\b)?)",
        )
    )
)
_PLACEHOLDERS = {"uuid": "<id>", "address": "<address>", "hex": "<id>", "temp": "<tmp>"}


def _mask(match: re.Match[str]) -> str:
    kind = match.lastgroup or "number"
    return match.group() if kind == "kept" else _PLACEHOLDERS.get(kind, "<n>")


def normalise_cause(reason: str, params: Mapping[str, Any] | None = None) -> str:
    """The part of a failure reason that trials failing for one cause share: whitespace
    collapsed; numbers and sizes, memory addresses, ids, temporary file names and the words
    that are the trial's own parameter values (``params``: a choice such as ``'adamw'``)
    masked."""
    text = " ".join(reason.split())
    words = {str(v) for v in (params or {}).values() if isinstance(v, str | bool)}
    for word in sorted((w for w in words if len(w) > 1), key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", "<param>", text)
    return _MASKS.sub(_mask, text)


def fail_reason(trial: FrozenTrial) -> str:
    """The trial's failure reason as recorded, on one line."""
    return " ".join(str(trial.user_attrs.get(Attr.FAIL_REASON, "unknown")).split())


def cause_of(trial: FrozenTrial) -> str:
    """The trial's normalised failure cause: equal for trials that failed for one cause."""
    return normalise_cause(fail_reason(trial), trial.params)


def _ended_for_good(trial: FrozenTrial) -> bool:
    """Finished, and not an attempt lost to the infrastructure."""
    lost = trial.state == TrialState.FAIL and bool(trial.system_attrs.get(Key.RETRYABLE))
    return trial.state.is_finished() and trial.datetime_complete is not None and not lost


def _order(trial: FrozenTrial) -> tuple[str, int]:
    assert trial.datetime_complete is not None
    return trial.datetime_complete.isoformat(), trial.number


@dataclass(frozen=True)
class Streak:
    """Trials that failed in a row with one cause, in the order they ended: ``cause`` is the
    last one's reason as recorded (one real message), ``key`` the normalised cause they share."""

    cause: str
    key: str
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
    key = None
    for trial in reversed(ended):
        if trial.state != TrialState.FAIL:
            break
        this = cause_of(trial)
        if key is not None and this != key:
            break
        key = this
        streak.append(trial)
    if key is None:
        return None
    return Streak(fail_reason(streak[0]), key, list(reversed(streak)))


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


def read_stop(user_attrs: Mapping[str, Any]) -> StopRecord | None:
    """The study's last stop (from its user attributes), if any run stopped."""
    raw = user_attrs.get(Key.STOPPED)
    if not raw:
        return None
    data: dict[str, Any] = json.loads(raw)
    data["after"] = tuple(data["after"])
    return StopRecord(**data)


def record_stop(study: optuna.Study, record: StopRecord) -> None:
    """Record ``record`` as the study's last stop."""
    study.set_user_attr(Key.STOPPED, json.dumps(asdict(record)))
