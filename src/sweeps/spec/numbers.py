"""Numbers in a sweep file: a YAML ``true`` is a boolean, never the integer 1."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator


def _not_a_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not the boolean {str(value).lower()}")
    return value


Int = Annotated[int, BeforeValidator(_not_a_boolean)]
"""An integer setting; ``true``/``false`` are refused rather than read as 1/0."""

Float = Annotated[float, BeforeValidator(_not_a_boolean)]
"""A real-valued setting; ``true``/``false`` are refused rather than read as 1.0/0.0."""
