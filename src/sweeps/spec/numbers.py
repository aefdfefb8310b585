"""Numbers in a sweep file: a YAML ``true`` is a boolean, never the integer 1."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator


def _not_a_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not the boolean {str(value).lower()}")
    return value


Int = Annotated[int, BeforeValidator(_not_a_boolean)]
"""An integer setting; ``true``/``false`` are refused rather than read as 1/0."""

Float = Annotated[float, BeforeValidator(_not_a_boolean)]
"""A real-valued setting; ``true``/``false`` are refused rather than read as 1.0/0.0."""

SEED_MAX = 2**32 - 1
"""The largest seed Optuna's samplers take (numpy's ``RandomState``: 0 to 2**32 - 1)."""


def _seed_range(value: int) -> int:
    if not 0 <= value <= SEED_MAX:
        raise ValueError(
            f"must be between 0 and 2**32 - 1 ({SEED_MAX}), the seeds Optuna's samplers take"
        )
    return value


Seed = Annotated[int, BeforeValidator(_not_a_boolean), AfterValidator(_seed_range)]
"""A seed: an integer from 0 to 2**32 - 1, refused here rather than when the sampler is built."""
