"""Storage URLs: which backend a setting names, where its file lives, and never a password."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import quote_plus

from sqlalchemy.engine import URL, make_url

Backend = Literal["sqlite", "postgresql", "mysql", "journal"]

JOURNAL_SCHEME = "journal://"
JOURNAL_SUFFIXES = (".log", ".jsonl")

# Query keys whose value the database drivers take as a password (libpq: password,
# sslpassword; PyMySQL: password, passwd; some drivers and poolers: pass). Matched without
# regard to case: such a value is refused as a literal and masked wherever a URL is shown.
SECRET_QUERY_KEYS = frozenset({"password", "passwd", "sslpassword", "pass"})
MASK = "***"


def backend_of(url: str) -> Backend:
    """The backend a storage setting names; ValueError for anything else."""
    if url.startswith(JOURNAL_SCHEME) or ("://" not in url and url.endswith(JOURNAL_SUFFIXES)):
        return "journal"
    scheme = url.split("://", 1)[0].split("+", 1)[0] if "://" in url else ""
    if scheme == "sqlite":
        return "sqlite"
    if scheme in ("postgresql", "postgres"):
        return "postgresql"
    if scheme in ("mysql", "mariadb"):
        return "mysql"
    raise ValueError(
        f"unsupported storage {redact_url(url)!r}: use sqlite:///PATH, "
        "postgresql+psycopg://USER@HOST/DB, mysql+pymysql://USER@HOST/DB, "
        "or journal:///PATH (a journal file, e.g. on Lustre)"
    )


def is_secret_query_key(key: str) -> bool:
    """Whether a URL's query key carries a password."""
    return key.lower() in SECRET_QUERY_KEYS


def redact_url(url: str) -> str:
    """The URL with every password (userinfo and secret query values) replaced by ``***``."""
    if "://" not in url:
        return url
    try:
        parsed = make_url(url)
    except Exception:  # an unparsable URL may still hold a secret: show only its scheme
        return url.split("://", 1)[0] + "://" + MASK
    shown = parsed.set(query={}).render_as_string(hide_password=True)
    query = "&".join(
        f"{quote_plus(key)}={MASK if is_secret_query_key(key) else quote_plus(value)}"
        for key, value in query_pairs(parsed)
    )
    return f"{shown}?{query}" if query else shown


def query_pairs(url: URL) -> list[tuple[str, str]]:
    """The URL's query as (key, value) pairs, a repeated key once per value."""
    return [
        (key, value)
        for key, values in url.query.items()
        for value in ((values,) if isinstance(values, str) else values)
    ]


def sqlite_path(url: str) -> Path | None:
    """The database file of a ``sqlite:///`` URL, else None."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(database)


def journal_path(url: str) -> Path | None:
    """The file of a journal storage: ``journal:///rel/path``, ``journal:////abs/path``, or a
    bare path ending in ``.log``/``.jsonl``; None for other URLs."""
    if url.startswith(JOURNAL_SCHEME):
        rest = url[len(JOURNAL_SCHEME) :]
        if not rest.startswith("/") or rest == "/":
            raise ValueError(
                f"journal storage {url!r}: write journal:///relative/path.log or "
                "journal:////absolute/path.log"
            )
        return Path(rest[1:])
    if "://" not in url and url.endswith(JOURNAL_SUFFIXES):
        return Path(url).expanduser()
    return None


def storage_file(url: str) -> Path | None:
    """The local file behind a SQLite or journal storage, else None."""
    return sqlite_path(url) if backend_of(url) == "sqlite" else journal_path(url)
