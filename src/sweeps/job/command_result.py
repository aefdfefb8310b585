"""What a command objective's output means: intermediate values and its result.

Protocol: a stdout line that is a JSON object with ``step`` is an intermediate value; the last
JSON object without ``step`` (or the ``metrics_file`` the script writes) is the result. Values
are looked up by the sweep's ``metrics`` names; without them, by ``value``, else the object's
only number. Its other keys are the result's extras, recorded on the trial.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sweeps.spec import SweepSpec
from sweeps.spec.metrics import objective_metrics, objective_value_count

NOT_VALUES = {"step", "seq"}


def json_object(line: str) -> dict[str, Any] | None:
    """The JSON object on ``line``, or None for any other output."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        found = json.loads(text)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def intermediate(record: dict[str, Any], spec: SweepSpec) -> tuple[int, float] | None:
    """``(step, value)`` for an intermediate-value record, else None."""
    step = record.get("step")
    if isinstance(step, bool) or not isinstance(step, int | float) or step != int(step):
        return None
    names = objective_metrics(spec)[:1]
    found = _values(record, names, 1)
    return (int(step), float(found[0])) if isinstance(found, list) else None


def result_values(record: dict[str, Any], spec: SweepSpec) -> list[Any] | str:
    """The objective's values from a result record, or why there are none."""
    return _values(record, objective_metrics(spec), objective_value_count(spec))


def result_extras(record: dict[str, Any], spec: SweepSpec) -> dict[str, Any]:
    """The result's other keys: those that are not the objective's values (nor ``step``)."""
    names = objective_metrics(spec)
    if names:
        used = set(names)
    elif "value" in record and objective_value_count(spec) == 1:
        used = {"value"}
    else:
        used = {k for k, v in record.items() if _is_number(v)}
    return {k: v for k, v in record.items() if k not in used | NOT_VALUES}


def read_metrics_file(path: Path) -> dict[str, Any] | str:
    """The JSON object in ``path``, or why it cannot be read."""
    try:
        found = json.loads(path.read_text())
    except FileNotFoundError:
        return f"objective.metrics_file {str(path)!r} was not written"
    except (OSError, ValueError) as err:
        return f"objective.metrics_file {str(path)!r} is not JSON: {err}"
    if not isinstance(found, dict):
        return f"objective.metrics_file {str(path)!r} holds {type(found).__name__}, not an object"
    return found


def _values(record: dict[str, Any], names: list[str], n_values: int) -> list[Any] | str:
    if names:
        missing = [name for name in names if name not in record]
        if missing:
            return f"the result has no {', '.join(missing)} (keys: {', '.join(sorted(record))})"
        return [record[name] for name in names]
    if "value" in record and n_values == 1:
        return [record["value"]]
    numbers = [
        v
        for k, v in record.items()
        if k not in NOT_VALUES and isinstance(v, int | float) and not isinstance(v, bool)
    ]
    if len(numbers) == n_values:
        return numbers
    return (
        f"cannot tell which of {', '.join(sorted(record))} is the value; name it with the "
        "sweep's 'metrics' or the key 'value'"
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
