"""Storage URLs: parsing what we need and never printing a password."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***``."""
    if "://" not in url:
        return url
    try:
        parsed = make_url(url)
    except Exception:  # an unparsable URL may still hold a secret: show only its scheme
        return url.split("://", 1)[0] + "://***"
    return parsed.render_as_string(hide_password=True)


def sqlite_path(url: str) -> Path | None:
    """The database file of a ``sqlite:///`` URL, else None."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(database)
