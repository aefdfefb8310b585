"""The private Optuna API the project relies on, checked against the installed Optuna."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import RDBStorage
from support.databases import Backend

from sweeps.storage.open import open_plain_storage
from sweeps.storage.optuna_internals import (
    CHECKED_WITH,
    TRIAL_STATE,
    cached,
    finished_in_cache,
    has_read_trials,
    rdb_under,
    seed_cache,
    storage_of,
    study_id_of,
    trial_id_of,
    trials_tagged,
    write_attrs_in_one_session,
)


def test_a_study_and_its_trials_are_found_in_their_storage(tmp_path: Path) -> None:
    storage = cached(RDBStorage(f"sqlite:///{tmp_path}/s.db"))
    study = optuna.create_study(study_name="s", storage=storage)
    trial = study.ask()
    assert storage_of(study) is storage
    assert study_id_of(study) == storage.get_study_id_from_name("s")
    frozen = storage.get_all_trials(study_id_of(study))[0]
    assert trial_id_of(trial) == trial_id_of(frozen)
    assert storage.get_trial(trial_id_of(trial)).number == trial.number


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mariadb"], indirect=True)
def test_attributes_go_in_one_session_or_not_at_all(backend: Backend, unique_study: str) -> None:
    storage = open_plain_storage(backend.url)
    rdb = rdb_under(storage)
    assert isinstance(rdb, RDBStorage)
    study = optuna.create_study(study_name=unique_study, storage=storage)
    trial = study.ask()
    other = study.ask()
    trial.set_user_attr("kept", [1, 2])
    trial.set_user_attr("u", "old")
    values = {"u": 1, "f": 0.5, "none": None, "nested": {"a": [1, "b"]}, "s": "x" * 3000}
    write_attrs_in_one_session(rdb, trial_id_of(trial), values, {"sweeps:s": "x"})
    write_attrs_in_one_session(rdb, trial_id_of(trial), {}, {"sweeps:s": "y", "sweeps:t": 2})
    stored = optuna.load_study(
        study_name=unique_study, storage=open_plain_storage(backend.url)
    ).trials
    assert stored[0].user_attrs == {"kept": [1, 2], **values}  # new keys added, old updated
    assert stored[0].system_attrs == {"sweeps:s": "y", "sweeps:t": 2}
    assert stored[1].user_attrs == {} and stored[1].system_attrs == {}
    study.tell(other, 0.0)
    study.tell(trial, 1.0)
    with pytest.raises(UpdateFinishedTrialError):
        write_attrs_in_one_session(rdb, trial_id_of(trial), {"late": 1}, {})
    assert "late" not in storage.get_trial(trial_id_of(trial)).user_attrs


def test_trial_state_names_what_a_trial_is_built_with(tmp_path: Path) -> None:
    storage = cached(RDBStorage(f"sqlite:///{tmp_path}/s.db"))
    study = optuna.create_study(study_name="s", storage=storage)
    trial = study.ask()
    assert set(vars(optuna.Trial(study, trial_id_of(trial)))) == TRIAL_STATE


def test_the_checked_release_is_the_installed_major_release() -> None:
    assert optuna.__version__.split(".")[0] == CHECKED_WITH.split(".")[0]


def test_finished_trials_seed_another_cache_layer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    first = cached(RDBStorage(url))
    study = optuna.create_study(study_name="s", storage=first)
    asked = [study.ask() for _ in range(3)]
    study.tell(asked[0], 0.0)
    study.tell(asked[2], 2.0)
    study.get_trials()
    known = finished_in_cache(first, study_id_of(study))
    assert known is not None and [t.number for t in known.trials] == [0, 2]

    second = cached(RDBStorage(url))
    later = optuna.load_study(study_name="s", storage=second)
    assert not has_read_trials(second, study_id_of(later))
    assert seed_cache(second, known) and not seed_cache(second, known)
    study.tell(asked[1], 1.0)  # unfinished when kept: read again
    study.ask()  # newer than every kept trial: read too
    seen = [(t.number, t.state, t.value) for t in later.get_trials()]
    assert seen == [(t.number, t.state, t.value) for t in study.get_trials()]
    assert [t.value for t in later.get_trials()][:3] == [0.0, 1.0, 2.0]


def test_trials_tagged_reads_the_tagged_trials(tmp_path: Path) -> None:
    storage = cached(RDBStorage(f"sqlite:///{tmp_path}/s.db"))
    study = optuna.create_study(study_name="s", storage=storage)
    for i in range(4):
        storage.set_trial_system_attr(trial_id_of(study.ask()), "tag", i % 2)
    rdb = rdb_under(storage)
    assert rdb is not None
    assert [t.number for t in trials_tagged(rdb, study_id_of(study), "tag", 1)] == [1, 3]
    assert trials_tagged(rdb, study_id_of(study), "tag", 2) == []


def test_trials_tagged_reads_no_trial_newer_than_the_tagged_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An old slot's trials are read alone, not with every trial created since (a re-run
    walking its done slots read the whole study once per slot)."""
    storage = cached(RDBStorage(f"sqlite:///{tmp_path}/s.db"))
    study = optuna.create_study(study_name="s", storage=storage)
    storage.set_trial_system_attr(trial_id_of(study.ask()), "tag", "old")
    for _ in range(20):
        study.ask()
    rdb = rdb_under(storage)
    assert rdb is not None
    read: list[int] = []
    real = RDBStorage._get_trials

    def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        trials = real(self, *args, **kwargs)
        read.extend(t.number for t in trials)
        return trials

    monkeypatch.setattr(RDBStorage, "_get_trials", counting)
    assert [t.number for t in trials_tagged(rdb, study_id_of(study), "tag", "old")] == [0]
    assert read == [0]


def test_the_grpc_proxy_client_talks_over_the_channel_given(tmp_path: Path) -> None:
    """Optuna's servicer on a server of ours, its client on a channel of ours."""
    from concurrent.futures import ThreadPoolExecutor

    import grpc
    from optuna.storages import GrpcStorageProxy

    from sweeps.storage.optuna_internals import grpc_proxy_client, proxy_servicer_on

    server = grpc.server(ThreadPoolExecutor(max_workers=2))
    proxy_servicer_on(server, cached(RDBStorage(f"sqlite:///{tmp_path}/s.db")))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    made: list[grpc.Channel] = []

    def channel() -> grpc.Channel:
        made.append(grpc.insecure_channel(f"127.0.0.1:{port}"))
        return made[-1]

    try:
        client = grpc_proxy_client(channel)
        assert isinstance(client, GrpcStorageProxy)
        optuna.create_study(study_name="s", storage=client).ask()
        assert len(made) == 1
        assert [s.study_name for s in client.get_all_studies()] == ["s"]
    finally:
        server.stop(None)
