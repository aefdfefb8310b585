"""What an objective's return value means for its trial: values, or why it failed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sweeps.job.task import TrialOutcome

SHOWN_CHARS = 80  # how much of a wrong return value a reason quotes


def judge_result(result: Any, n_values: int, allow_non_finite: bool = False) -> TrialOutcome:
    """The outcome of an objective that returned ``result`` for a sweep of ``n_values``
    objectives: COMPLETE with its values, or FAIL naming what is wrong with it."""
    expected = "a number" if n_values == 1 else f"a sequence of {n_values} numbers"
    if isinstance(result, str | bytes) or not (isinstance(result, Sequence) or _is_number(result)):
        return _wrong(f"objective returned {_shown(result)}, expected {expected}")
    values = list(result) if isinstance(result, Sequence) else [result]
    if len(values) != n_values:
        return _wrong(f"objective returned {len(values)} values, the sweep expects {n_values}")
    wrong = [v for v in values if not _is_number(v)]
    if wrong:
        return _wrong(f"objective returned {_shown(wrong[0])} as a value, expected {expected}")
    floats = [float(v) for v in values]
    for value in floats:
        if math.isnan(value) or (math.isinf(value) and not allow_non_finite):
            return _wrong(f"non-finite value {value}")
    return TrialOutcome("complete", values=floats)


def _is_number(value: Any) -> bool:
    if isinstance(value, str | bytes):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _shown(value: Any) -> str:
    text = repr(value)
    if len(text) > SHOWN_CHARS:
        text = text[: SHOWN_CHARS - 3] + "..."
    return f"{type(value).__name__} {text}"


def _wrong(reason: str) -> TrialOutcome:
    return TrialOutcome("fail", reason=reason)
