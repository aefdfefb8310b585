"""The private Optuna API the project relies on, checked against the installed Optuna."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import RDBStorage

from sweeps.storage.optuna_internals import (
    CHECKED_WITH,
    TRIAL_STATE,
    cached,
    rdb_under,
    storage_of,
    study_id_of,
    trial_id_of,
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


def test_attributes_go_in_one_session_or_not_at_all(tmp_path: Path) -> None:
    storage = cached(RDBStorage(f"sqlite:///{tmp_path}/s.db"))
    rdb = rdb_under(storage)
    assert isinstance(rdb, RDBStorage)
    study = optuna.create_study(study_name="s", storage=storage)
    trial = study.ask()
    write_attrs_in_one_session(rdb, trial_id_of(trial), {"u": 1}, {"sweeps:s": "x"})
    stored = storage.get_trial(trial_id_of(trial))
    assert stored.user_attrs == {"u": 1} and stored.system_attrs == {"sweeps:s": "x"}
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
