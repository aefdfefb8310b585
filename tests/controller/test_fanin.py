"""When a sweep starts its storage proxy, and where the proxy listens."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.specs import base_spec

from sweeps.controller.fanin import (
    clients_in_flight,
    dry_run,
    proxy_host,
    proxy_wanted,
    start_for_sweep,
)
from sweeps.run.executors import backend_for
from sweeps.spec import SweepSpec
from sweeps.spec.load import spec_from_dict
from sweeps.storage.proxy import PROXY_ENV, TOKEN_ENV, proxy_target

PG = "postgresql+psycopg://alice:${PGPASSWORD}@db/sweeps"


def spec(**overrides: object) -> SweepSpec:
    return spec_from_dict(base_spec(**overrides))


def test_auto_funnels_a_database_server_once_many_processes_use_it() -> None:
    few, many = spec(storage=PG, parallelism=16), spec(storage=PG, parallelism=17)
    assert clients_in_flight(few, backend_for(few)) == 32  # a controller and a job per trial
    assert not proxy_wanted(few, backend_for(few))
    assert proxy_wanted(many, backend_for(many))


def test_warm_lanes_count_as_clients() -> None:
    warm = {"mode": "warm", "warm": {"workers": 8, "trials_per_gpu": 8}}
    sweep = spec(storage=PG, parallelism=2, dispatch=warm)
    # two controllers per trial in flight (one hands its next trial over ahead), every lane
    assert clients_in_flight(sweep, backend_for(sweep)) == 2 * 2 + 64
    assert proxy_wanted(sweep, backend_for(sweep))
    in_turn = {**warm, "warm": {**warm["warm"], "hand_over_ahead": 0}}
    sweep = spec(storage=PG, parallelism=2, dispatch=in_turn)
    assert clients_in_flight(sweep, backend_for(sweep)) == 2 + 64


def test_auto_leaves_sqlite_alone_and_off_and_grpc_mean_what_they_say() -> None:
    sqlite = spec(parallelism=200)
    assert not proxy_wanted(sqlite, backend_for(sqlite))
    forced = spec(parallelism=1, storage_proxy="grpc")
    assert proxy_wanted(forced, backend_for(forced))
    off = spec(storage=PG, parallelism=200, storage_proxy={"mode": "off"})
    assert not proxy_wanted(off, backend_for(off))


def test_local_trials_reach_the_proxy_through_a_socket_slurm_trials_through_the_host() -> None:
    local = spec(storage_proxy="grpc")
    assert proxy_host(local, backend_for(local)) is None
    slurm = spec(
        storage_proxy={"mode": "grpc", "host": "uan01-ib"},
        dispatch={"executor": "slurm", "slurm": {"partition": "small-g"}},
    )
    assert proxy_host(slurm, backend_for(slurm)) == "uan01-ib"


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ({"mode": "grpc", "connections": 1}, "storage_proxy.connections"),
        ({"mode": "proxy"}, "storage_proxy.mode"),
        ({"mode": "grpc", "hosts": "x"}, "storage_proxy.hosts"),
        ({"mode": "grpc", "restarts": -1}, "storage_proxy.restarts"),
    ],
)
def test_bad_settings_are_refused_by_key(setting: dict[str, object], expected: str) -> None:
    with pytest.raises(ValueError, match=expected.replace(".", r"\.")):
        spec(storage_proxy=setting)


def test_a_journal_behind_the_proxy_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot serve a journal storage"):
        spec(storage=f"journal:///{tmp_path}/s.log", storage_proxy="grpc")


def test_a_sweep_starts_one_proxy_and_its_processes_inherit_it(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PROXY_ENV, raising=False)
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    sweep = spec(storage=f"sqlite:///{workdir}/s.db", storage_proxy="grpc")
    running = start_for_sweep(sweep, backend_for(sweep))
    assert running is not None
    try:
        assert proxy_target(sweep.storage_url) == running.address
        assert os.environ[TOKEN_ENV] == running.token
        assert start_for_sweep(sweep, backend_for(sweep)) is None  # a child run reuses it
    finally:
        running.stop()


@pytest.mark.parametrize(
    ("argv", "dry"),
    [
        (["snakemake", "-n"], True),
        (["snakemake", "--cores", "2", "-np"], True),
        (["snakemake", "--dry-run"], True),
        (["snakemake", "--cores", "2"], False),
        (["snakemake", "-c", "2", "--config", "controllers=threads"], False),
    ],
)
def test_a_dry_run_starts_no_proxy(argv: list[str], dry: bool) -> None:
    assert dry_run(argv) is dry
