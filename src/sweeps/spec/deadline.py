"""``budget.deadline``: a wall-clock time, or a duration counted from the study's first trial."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(
    r"^\s*(?:(\d+(?:\.\d+)?)\s*d)?\s*(?:(\d+(?:\.\d+)?)\s*h)?\s*"
    r"(?:(\d+(?:\.\d+)?)\s*m(?:in)?)?\s*(?:(\d+(?:\.\d+)?)\s*s)?\s*$"
)


UNIT_SECONDS = {"d": 86400.0, "h": 3600.0, "min": 60.0, "s": 1.0}
"""The units a duration is written in (``1d 6h``, ``90m``, ``45s``), in seconds."""


@dataclass(frozen=True)
class Deadline:
    """Either a fixed time (``at``) or a duration after the study's first trial started;
    ``unit`` is the smallest unit the duration was written in (a key of :data:`UNIT_SECONDS`)."""

    at: datetime | None = None
    after: timedelta | None = None
    unit: str | None = None

    def ends(self, first_start: datetime | None) -> datetime | None:
        """When the sweep's time is up; a duration with no trial started yet: not yet known."""
        if self.at is not None:
            return self.at
        if first_start is None or self.after is None:
            return None
        start = first_start if first_start.tzinfo else first_start.astimezone(UTC)
        return start + self.after


def parse_deadline(text: str) -> Deadline:
    """``2026-12-01T18:00+01:00`` (no zone: UTC) or a duration: ``90m``, ``2h``, ``1d 6h``,
    ``45s``; raises ValueError saying which forms are accepted."""
    match = _DURATION.match(text)
    if match and any(match.groups()):
        days, hours, minutes, seconds = (float(g or 0) for g in match.groups())
        after = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        if after.total_seconds() <= 0:
            raise ValueError(f"a duration must be positive, got {text!r}")
        unit = [u for u, g in zip(UNIT_SECONDS, match.groups(), strict=True) if g][-1]
        return Deadline(after=after, unit=unit)
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"must be an ISO time (2026-12-01T18:00+01:00; no zone: UTC) or a duration "
            f"(90m, 2h, 1d 6h), got {text!r}"
        ) from None
    return Deadline(at=at if at.tzinfo else at.replace(tzinfo=UTC))
