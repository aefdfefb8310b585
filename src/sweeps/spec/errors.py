"""Errors that point at the file, key and value at fault."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class SpecError(ValueError):
    """A sweep file is invalid. ``problems`` lists (key, value, message) triples."""

    def __init__(
        self, path: str | Path, problems: list[tuple[str, Any, str]], what: str = "invalid sweep"
    ) -> None:
        self.path = str(path)
        self.problems = problems
        lines = [f"{self.path}: {what}"]
        for key, value, message in problems:
            shown = "" if value is _MISSING else f" = {value!r}"
            lines.append(f"  {key or '<top level>'}{shown}: {message}")
        super().__init__("\n".join(lines))


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()
MISSING = _MISSING
