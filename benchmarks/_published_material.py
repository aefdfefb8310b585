"""Where the published material (baselines, surrogates) is read from: never copied here."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def default_published() -> Path:
    """The nearest ``shared/published`` beside the repository or one of its parents."""
    for parent in REPO.parents:
        if (parent / "shared" / "published").is_dir():
            return parent / "shared" / "published"
    return REPO.parent / "shared" / "published"
