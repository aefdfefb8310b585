"""``sweeps doctor`` against every backend, and its filesystem warnings."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.databases import Backend

from sweeps.cli import main
from sweeps.storage.doctor import check_storage
from sweeps.storage.filesystems import filesystem_of


def test_doctor_passes_on_every_backend(
    backend: Backend,
    make_spec,
    capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
) -> None:
    path, _ = make_spec(storage=backend.url)
    assert main(["doctor", "--spec", str(path)]) == 0
    out = capsys.readouterr().out
    assert "read/write: created, wrote, read back and deleted a study" in out
    assert "ok   read: " in out and " studies" in out  # it listed what the storage holds
    assert ("filesystem:" in out) == (backend.server is None)
    if backend.server is not None:
        assert backend.server.password not in out


def test_doctor_fails_clearly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWEEPS_STORAGE_RETRY_S", "1")
    assert main(["doctor", "--storage", "postgresql+psycopg://u:${SWEEPS_UNSET_PW}@h/db"]) == 1
    assert "${SWEEPS_UNSET_PW}" in capsys.readouterr().out
    assert main(["doctor", "--storage", "postgresql+psycopg://u@127.0.0.1:1/db"]) == 1
    out = capsys.readouterr().out
    assert "FAIL storage: postgresql: cannot reach the storage" in out
    assert "ok   storage" not in out


def test_sqlite_on_a_network_filesystem_is_warned_about(tmp_path: Path) -> None:
    # No Lustre here: a mounts table as a Lustre client shows it stands in for /proc/mounts.
    (tmp_path / "scratch").mkdir()  # the mount point
    mounts = tmp_path / "mounts"
    mounts.write_text(
        f"/dev/sda1 / ext4 rw 0 0\n10.0.0.1@o2ib:/scratch {tmp_path}/scratch lustre rw,flock 0 0\n"
    )
    assert filesystem_of(tmp_path / "scratch" / "p" / "study.db", mounts) == (
        "lustre",
        f"{tmp_path}/scratch",
    )
    url = f"sqlite:///{tmp_path}/scratch/p/study.db"
    fs = [c for c in check_storage(url, mounts) if c.what == "filesystem"]
    assert fs[0].level == "warn" and "journal:///" in fs[0].detail
    journal = [c for c in check_storage(f"{tmp_path}/scratch/p/study.log", mounts)]
    assert [c.level for c in journal if c.what == "filesystem"] == ["ok"]
