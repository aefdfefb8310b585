"""Secrets in storage settings: referenced, resolved late, never written anywhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from support.databases import PASSWORD_ENV, Server
from support.specs import base_spec

from sweeps.cli import main
from sweeps.spec import SpecError, load_spec
from sweeps.storage import CredentialError, expand_url, redact_url
from sweeps.storage.credentials import read_password_file
from sweeps.storage.urls import backend_of, journal_path

PG = "postgresql+psycopg://alice:{pw}@db.example.org:5432/sweeps"


def test_backend_and_journal_paths() -> None:
    assert backend_of("sqlite:///r/study.db") == "sqlite"
    assert backend_of("postgresql+psycopg://u@h/db") == "postgresql"
    assert backend_of("mysql+pymysql://u@h/db") == "mysql"
    assert backend_of("journal:///r/study.log") == "journal"
    assert backend_of("/lustre/proj/study.log") == "journal"
    assert journal_path("journal:///results/x/study.log") == Path("results/x/study.log")
    assert journal_path("journal:////scratch/p/study.log") == Path("/scratch/p/study.log")
    with pytest.raises(ValueError, match="unsupported storage"):
        backend_of("redis://h")


def test_a_literal_password_in_a_sweep_file_is_refused_without_echoing_it(
    workdir: Path,
) -> None:
    path = workdir / "sweep.yaml"
    path.write_text(yaml.safe_dump(base_spec(storage=PG.format(pw="hunter2"))))
    with pytest.raises(SpecError) as err:
        load_spec(path)
    message = str(err.value)
    assert str(path) in message and "storage" in message and "literal password" in message
    assert "hunter2" not in message


def test_references_are_kept_unexpanded_in_the_spec(workdir: Path) -> None:
    path = workdir / "sweep.yaml"
    path.write_text(yaml.safe_dump(base_spec(storage=PG.format(pw="${DB_PW}"))))
    spec = load_spec(path)
    assert "${DB_PW}" in spec.storage_url  # what pickles and the study's records hold


def test_environment_references(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_PW", "p@ss:w/rd")
    monkeypatch.setenv("DB_HOST", "db.example.org")
    url = expand_url("postgresql+psycopg://alice:${DB_PW}@${DB_HOST}:5432/sweeps")
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    assert parsed.password == "p@ss:w/rd" and parsed.host == "db.example.org"
    monkeypatch.setenv("WHOLE", "mysql+pymysql://bob:x@h/db")
    assert expand_url("${WHOLE}") == "mysql+pymysql://bob:x@h/db"
    monkeypatch.delenv("DB_PW")
    with pytest.raises(CredentialError, match=r"\$\{DB_PW\}.*not set") as err:
        expand_url(PG.format(pw="${DB_PW}"))
    assert "p@ss" not in str(err.value)


def test_password_files(tmp_path: Path) -> None:
    plain = tmp_path / "pw"
    plain.write_text("s3cret\n")
    plain.chmod(0o600)
    assert make_url_password(expand_url(PG.format(pw=f"${{file:{plain}}}"))) == "s3cret"

    pgpass = tmp_path / ".pgpass"
    pgpass.write_text(
        "other.host:5432:*:alice:wrong\n"
        "db.example.org:5432:sweeps:alice:pa\\:ss\n"
        "*:*:*:*:fallback\n"
    )
    pgpass.chmod(0o600)
    assert make_url_password(expand_url(PG.format(pw=f"${{file:{pgpass}}}"))) == "pa:ss"

    pgpass.chmod(0o644)
    with pytest.raises(CredentialError, match="readable by group or others") as err:
        read_password_file(pgpass)
    assert "chmod 600" in str(err.value) and "pa:ss" not in str(err.value)
    with pytest.raises(CredentialError, match="No such file"):
        read_password_file(tmp_path / "missing")


def make_url_password(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    password = make_url(url).password
    return None if password is None else str(password)


def test_redacted_urls() -> None:
    assert "hunter2" not in redact_url(PG.format(pw="hunter2"))
    assert redact_url(PG.format(pw="${X}")).count("***") == 1


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_a_real_sweep_writes_the_password_nowhere(
    kind: str,
    servers: dict[str, Server | str],
    make_spec,  # type: ignore[no-untyped-def]
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A sweep against a password-protected role: study, trial jobs (submitit pickles and
    logs), receipts, status, report. The secret is in the environment only.

    (The PostgreSQL test server trusts loopback logins, so only MariaDB actually checks the
    password here; both check that it never leaks.)"""
    server = servers[kind]
    if isinstance(server, str):
        pytest.skip(server)
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    name = f"secret-{os.getpid()}-{kind}"
    path, _ = make_spec(study=name, storage=server.url(), budget={"n_trials": 2})
    args = ["--spec", str(path)]
    assert main(["study", "prepare", *args]) == 0
    for slot in range(2):
        receipt = f"results/{name}/trials/{slot}.json"
        assert main(["trial", *args, "--slot", str(slot), "--receipt", receipt]) == 0
    assert main(["status", *args]) == 0
    assert main(["report", *args]) == 0
    printed = capfd.readouterr()
    secret = server.password.encode()
    assert secret not in (printed.out + printed.err).encode()
    files = [p for p in workdir.rglob("*") if p.is_file()]
    assert any(p.suffix == ".pkl" for p in files), "expected submitit pickles to check"
    assert any(p.name.endswith(("_log.out", "_log.err")) for p in files)
    leaked = [str(p) for p in files if secret in p.read_bytes()]
    assert not leaked, f"password found in {leaked}"


QUERY_SECRETS = ["password", "passwd", "sslpassword", "pass", "PASSWORD"]


@pytest.mark.parametrize("key", QUERY_SECRETS)
def test_a_literal_password_in_the_query_string_is_refused_without_echoing_it(
    workdir: Path, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workdir / "sweep.yaml"
    storage = (
        f"postgresql+psycopg://alice:hunter2@db.example.org/sweeps?{key}=s3cr3t&sslmode=require"
    )
    path.write_text(yaml.safe_dump(base_spec(storage=storage)))
    assert main(["validate", str(path)]) == 2
    message = capsys.readouterr().err
    assert str(path) in message and "storage = " in message and "literal password" in message
    assert f"query key {key!r}" in message and "the user part" in message
    assert "s3cr3t" not in message and "hunter2" not in message
    assert "sslmode=require" in message  # the rest of the URL is shown as written


@pytest.mark.parametrize("key", QUERY_SECRETS)
def test_secret_query_values_are_redacted(key: str) -> None:
    shown = redact_url(f"postgresql+psycopg://alice@db/sweeps?{key}=s3cr3t&application_name=x")
    assert "s3cr3t" not in shown
    assert f"{key}=***" in shown and "application_name=x" in shown
    assert "s3cr3t" not in redact_url(f"mysql+pymysql://bob@h/db?{key}=s3cr3t&{key}=s3cr3t")


def test_references_in_the_query_string(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.engine import make_url

    monkeypatch.setenv("DB_PW", "p&ss=w#rd")
    url = expand_url("postgresql+psycopg://alice@db/sweeps?password=${DB_PW}&sslmode=require")
    assert make_url(url).query == {"password": "p&ss=w#rd", "sslmode": "require"}
    secret = tmp_path / "pw"
    secret.write_text("from-a-file\n")
    secret.chmod(0o600)
    url = expand_url(f"mysql+pymysql://bob@h/db?passwd=${{file:{secret}}}")
    assert make_url(url).query["passwd"] == "from-a-file"
    spec_text = yaml.safe_dump(base_spec(storage="postgresql+psycopg://a@h/d?password=${DB_PW}"))
    (tmp_path / "ok.yaml").write_text(spec_text)
    assert load_spec(tmp_path / "ok.yaml").storage.endswith("?password=${DB_PW}")


def _database_text(url: str) -> bytes:
    """Every row of every table of the database behind ``url``, as text."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(expand_url(url))
    try:
        with engine.connect() as conn:
            tables = sqlalchemy.inspect(conn).get_table_names()
            rows = [
                repr(tuple(row))
                for table in tables
                for row in conn.execute(sqlalchemy.text(f"SELECT * FROM {table}"))
            ]
    finally:
        engine.dispose()
    assert tables and rows, "expected the study's tables to check"
    return "\n".join(rows).encode()


@pytest.mark.parametrize("reference", ["env", "file"])
@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_a_sweep_with_the_password_in_the_query_string_writes_it_nowhere(
    kind: str,
    reference: str,
    servers: dict[str, Server | str],
    make_spec,  # type: ignore[no-untyped-def]
    workdir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """``?password=${ENV}`` or ``?password=${file:PATH}``: the trials connect (MariaDB checks
    the password), and the secret is in no file the sweep wrote, nothing it printed and no row
    of the study's database."""
    server = servers[kind]
    if isinstance(server, str):
        pytest.skip(server)
    if reference == "env":
        monkeypatch.setenv(PASSWORD_ENV, server.password)
        secret_ref = f"${{{PASSWORD_ENV}}}"
    else:
        secret_file = tmp_path_factory.mktemp("secrets") / "db-password"  # outside workdir
        secret_file.write_text(server.password + "\n")
        secret_file.chmod(0o600)
        secret_ref = f"${{file:{secret_file}}}"
    scheme, port = ("postgresql+psycopg", 5432) if kind == "postgresql" else ("mysql+pymysql", 3306)
    storage = f"{scheme}://{server.user}@127.0.0.1:{port}/{server.database}?password={secret_ref}"
    name = f"query-secret-{os.getpid()}-{kind}-{reference}"
    path, _ = make_spec(study=name, storage=storage, budget={"n_trials": 2})
    args = ["--spec", str(path)]
    assert main(["study", "prepare", *args, "--receipt", f"results/{name}/study.json"]) == 0
    for slot in range(2):
        receipt = f"results/{name}/trials/{slot}.json"
        assert main(["trial", *args, "--slot", str(slot), "--receipt", receipt]) == 0
    assert main(["status", *args]) == 0
    assert main(["report", *args]) == 0
    assert main(["validate", str(path)]) == 0
    printed = capfd.readouterr()
    secret = server.password.encode()
    assert secret not in (printed.out + printed.err).encode()
    files = [p for p in workdir.rglob("*") if p.is_file()]
    assert any(p.suffix == ".pkl" for p in files), "expected submitit pickles to check"
    assert any(p.name.endswith("study.json") for p in files), "expected study.json to check"
    leaked = [str(p) for p in files if secret in p.read_bytes()]
    assert not leaked, f"password found in {leaked}"
    assert secret not in _database_text(storage)
