"""Where the published material lies: ``shared/published`` next to the repository.

``SWEEPS_PUBLISHED`` overrides it; otherwise the nearest ``shared/published`` beside the
repository or one of its parents is used. Tests that need it skip when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

from support.specs import REPO


def published_dir() -> Path | None:
    """The published-material directory, or None where this checkout has none."""
    if os.environ.get("SWEEPS_PUBLISHED"):
        return Path(os.environ["SWEEPS_PUBLISHED"])
    for parent in REPO.parents:
        candidate = parent / "shared" / "published"
        if candidate.is_dir():
            return candidate
    return None


PUBLISHED = published_dir()
