"""Values in a command's plain output: ``objective.metrics_from.intermediate`` and ``final``.

Each line the command prints (stdout or stderr) is searched for both patterns. A match of
``intermediate`` is a value at its ``step`` group, else at the count of earlier matches
(from 0); the last match of ``final`` gives each metric its value, and its other named groups
are kept as extras of the result. Lines come from the command's reader threads.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Mapping
from typing import Any

from sweeps.spec.metrics_from import STEP_GROUP, VALUE_GROUP, MetricsFrom

SHOWN_CHARS = 200


class OutputPatterns:
    """The patterns of one run of the command, and what they matched so far."""

    def __init__(self, read: MetricsFrom, metrics: list[str]) -> None:
        self._intermediate = re.compile(read.intermediate) if read.intermediate else None
        self._final = re.compile(read.final) if read.final else None
        self._value_names = metrics or [VALUE_GROUP]
        self._lock = threading.Lock()
        self._reports: list[tuple[int, float]] = []
        self._matches = 0
        self._unread = ""  # a match of ``intermediate`` without a number in it
        self._final_found: dict[str, str] = {}
        self.last_line = ""

    def feed(self, line: str) -> None:
        """Search one line of output (any thread)."""
        with self._lock:
            if line.strip():
                self.last_line = line.strip()
            if self._intermediate is not None:
                self._match_intermediate(self._intermediate.search(line))
            if self._final is not None and (found := self._final.search(line)):
                self._final_found.update(
                    {k: v for k, v in found.groupdict().items() if v is not None}
                )

    def _match_intermediate(self, found: re.Match[str] | None) -> None:
        if found is None:
            return
        value = _number(self._text(found.groupdict(), self._value_names[0]))
        step_text = found.groupdict().get(STEP_GROUP)
        step = self._matches if step_text is None else _step(step_text)
        if value is None or step is None:
            self._unread = found.group(0)
            return
        self._matches += 1
        self._reports.append((step, value))

    def take_reports(self) -> list[tuple[int, float]]:
        """The ``(step, value)`` pairs matched since the last call."""
        with self._lock:
            taken, self._reports = self._reports, []
        return taken

    def problem(self) -> str | None:
        """Why the patterns did not give what they promise: one never matched (a FAIL)."""
        if self._intermediate is not None and self._matches == 0:
            pattern = self._intermediate.pattern
            if self._unread:
                return (
                    f"objective.metrics_from.intermediate {pattern!r} matched "
                    f"{self._unread[:SHOWN_CHARS]!r}, whose value (or step) is not a number"
                )
            return self._never("intermediate", pattern)
        if self._final is None:
            return None
        missing = [n for n in self._value_names if self._text(self._final_found, n) is None]
        if len(missing) == len(self._value_names):
            return self._never("final", self._final.pattern)
        if missing:
            return self._never("final", self._final.pattern, f" for {', '.join(missing)}")
        return None

    def final_values(self) -> list[Any] | None:
        """The result's values (as numbers where they read as numbers), or None without
        ``final``."""
        if self._final is None:
            return None
        texts = [self._text(self._final_found, name) or "" for name in self._value_names]
        return [_number(text) if _number(text) is not None else text for text in texts]

    def final_extras(self) -> dict[str, Any]:
        """The other named groups of the last matches of ``final``."""
        used = {VALUE_GROUP, STEP_GROUP, *self._value_names}
        return {
            name: _number(text) if _number(text) is not None else text
            for name, text in self._final_found.items()
            if name not in used
        }

    def _text(self, groups: Mapping[str, str | None], name: str) -> str | None:
        """A metric's text: its own group, else (the only value) the group ``value``."""
        found = groups.get(name)
        if found is None and len(self._value_names) == 1:
            return groups.get(VALUE_GROUP)
        return found

    def _never(self, which: str, pattern: str, what: str = "") -> str:
        last = self.last_line[:SHOWN_CHARS]
        tail = f"last line: {last!r}" if last else "it printed nothing"
        return f"objective.metrics_from.{which} {pattern!r} never matched{what} ({tail})"


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _step(text: str) -> int | None:
    number = _number(text)
    if number is None or not math.isfinite(number) or number != int(number) or number < 0:
        return None
    return int(number)
