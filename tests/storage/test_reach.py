"""A storage that does not answer on the first try: one line at once, nothing submitted.

Real servers answer here (PostgreSQL and MariaDB on 127.0.0.1); what does not answer is a closed
port, a host that does not resolve, or a wrong password for the test's real role.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.databases import PASSWORD_ENV, Server
from support.specs import base_spec
from support.workflow import objectives_env, run_snakemake, workflow_project

from sweeps.cli import main
from sweeps.storage.open import open_plain_storage
from sweeps.storage.reach import REACHED_ENV, StorageUnreachable, mark_reached

SNAKEMAKE_PROFILE_NOTE = "Using workflow specific profile"  # Snakemake's notice, not ours

SECRET = "not-the-Password-42"
SCHEMES = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}


def _server(servers: dict[str, Server | str], kind: str) -> Server:
    server = servers[kind]
    if isinstance(server, str):
        pytest.skip(server)
    return server


def _bad_urls(server: Server) -> dict[str, tuple[str, str]]:
    """Unreachable storage settings for ``server``'s kind: (URL, a word of the reason)."""
    scheme = SCHEMES[server.kind]
    port = 5432 if server.kind == "postgresql" else 3306
    ref = f"${{{PASSWORD_ENV}}}"
    return {
        "closed port": (f"{scheme}://{server.user}:{ref}@127.0.0.1:1/{server.database}", "refused"),
        "unknown host": (
            f"{scheme}://{server.user}:{ref}@no-such-host.invalid:{port}/{server.database}",
            "host name",
        ),
        "wrong login": _wrong_login(server, scheme, port, ref),
    }


def _wrong_login(server: Server, scheme: str, port: int, ref: str) -> tuple[str, str]:
    """MariaDB: the role with a wrong password. The local PostgreSQL trusts 127.0.0.1
    (pg_hba), so it is shown a role that does not exist instead."""
    if server.kind == "mysql":
        return f"{scheme}://{server.user}:{ref}@127.0.0.1:{port}/{server.database}", "denied"
    return f"{scheme}://nobody_x:{ref}@127.0.0.1:{port}/{server.database}", "does not exist"


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
@pytest.mark.parametrize("fault", ["closed port", "unknown host", "wrong login"])
def test_the_first_step_reports_an_unreachable_storage_in_one_line(
    servers: dict[str, Server | str], make_spec, kind: str, fault: str
) -> None:  # type: ignore[no-untyped-def]
    url, reason = _bad_urls(_server(servers, kind))[fault]
    path, _ = make_spec(storage=url)
    env = {k: v for k, v in os.environ.items() if k != REACHED_ENV}
    env[PASSWORD_ENV] = SECRET  # the role's real password is another one
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "sweeps", "study", "prepare", "--spec", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,  # connecting used to be retried for 300 s
    )
    elapsed = time.monotonic() - start
    assert done.returncode == 2
    assert elapsed < 20, elapsed
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("sweeps study: error: cannot reach the storage ")
    assert url.replace(f"${{{PASSWORD_ENV}}}", "***") in line
    assert reason in line.lower() and "sweeps doctor" in line
    assert SECRET not in done.stdout + done.stderr
    assert not Path("results").exists()  # no receipt, no job folder: nothing submitted


def test_snakemake_stops_before_any_job_with_one_line(
    servers: dict[str, Server | str], tmp_path: Path
) -> None:
    url, _ = _bad_urls(_server(servers, "postgresql"))["closed port"]
    cwd = workflow_project(tmp_path, base_spec(storage=url))
    env = {k: v for k, v in objectives_env().items() if k != REACHED_ENV}
    env[PASSWORD_ENV] = SECRET
    start = time.monotonic()
    run = run_snakemake(cwd, "--cores", "2", env=env, timeout=120)
    assert run.returncode != 0
    assert time.monotonic() - start < 30
    output = (run.stdout + run.stderr).strip()
    ours = [line for line in output.splitlines() if not line.startswith(SNAKEMAKE_PROFILE_NOTE)]
    assert ours == [line for line in output.splitlines() if "cannot reach" in line]
    assert "postgresql+psycopg://" in output and "***@127.0.0.1:1/" in output
    assert "sweeps doctor --spec config/sweeps/default.yaml" in output
    assert "Traceback" not in output and SECRET not in output
    assert not (cwd / "results").exists()


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_doctor_fails_an_unreachable_storage_without_saying_ok(
    servers: dict[str, Server | str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    server = _server(servers, kind)
    monkeypatch.setenv(PASSWORD_ENV, SECRET)
    for url, reason in _bad_urls(server).values():
        start = time.monotonic()
        assert main(["doctor", "--storage", url]) == 1
        assert time.monotonic() - start < 20
        out = capsys.readouterr().out
        assert "ok   storage" not in out
        assert "FAIL storage: " in out and reason in out.lower()
        assert SECRET not in out


def test_a_storage_reached_before_is_waited_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same dead URL: refused at once when new, retried to the deadline once reached."""
    monkeypatch.delenv(REACHED_ENV, raising=False)
    monkeypatch.setenv("SWEEPS_STORAGE_RETRY_S", "2")
    url = "postgresql+psycopg://u@127.0.0.1:1/db"
    start = time.monotonic()
    with pytest.raises(StorageUnreachable, match="refused"):
        open_plain_storage(url)
    assert time.monotonic() - start < 2
    mark_reached(url)
    start = time.monotonic()
    with pytest.raises(Exception, match="refused") as dropped:
        open_plain_storage(url)
    assert not isinstance(dropped.value, StorageUnreachable)
    assert time.monotonic() - start >= 2  # retried until the deadline


def test_what_was_reached_is_inherited_by_child_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(REACHED_ENV, raising=False)
    url = "postgresql+psycopg://u@127.0.0.1:1/db"
    mark_reached(url)
    code = f"from sweeps.storage.reach import was_reached; print(was_reached({url!r}))"
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert child.stdout.strip() == "True"
