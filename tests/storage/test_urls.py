from __future__ import annotations

from pathlib import Path

from sweeps.storage import redact_url, sqlite_path


def test_redact_hides_passwords() -> None:
    url = "postgresql+psycopg://alice:s3cret@db.example.org:5432/sweeps"
    shown = redact_url(url)
    assert "s3cret" not in shown
    assert "alice" in shown and "db.example.org" in shown
    assert redact_url("sqlite:///results/x/study.db") == "sqlite:///results/x/study.db"
    assert "hunter2" not in redact_url("mysql+pymysql://bob:hunter2@/%%%")


def test_sqlite_path() -> None:
    assert sqlite_path("sqlite:///results/x/study.db") == Path("results/x/study.db")
    assert sqlite_path("sqlite:////abs/study.db") == Path("/abs/study.db")
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("postgresql://h/db") is None
