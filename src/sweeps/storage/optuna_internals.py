"""Every use of Optuna's private API, in one module.

Optuna's public API cannot reach a study's storage and id or a trial's id in that storage (the
slot controllers create tagged trials through the storage API), write several attributes in one
transaction, wrap an RDB storage in Optuna's own cache layer, or say which attributes
``optuna.Trial.__init__`` sets (the trial handle, an ``optuna.Trial``, sets them on first use).
Each such use is a name here; ``tests/storage/test_optuna_internals.py`` checks them against
the installed Optuna.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import optuna
from optuna.storages import BaseStorage, RDBStorage
from optuna.storages._cached_storage import _CachedStorage
from optuna.study._frozen import FrozenStudy
from optuna.trial import FrozenTrial

CHECKED_WITH = "5.0"  # the Optuna release these internals were last checked against

__all__ = [
    "CHECKED_WITH",
    "TRIAL_STATE",
    "FrozenStudy",
    "cached",
    "rdb_under",
    "storage_of",
    "study_id_of",
    "trial_id_of",
    "write_attrs_in_one_session",
]


# The instance attributes ``optuna.Trial.__init__(study, trial_id)`` sets.
TRIAL_STATE = frozenset(
    {
        "study",
        "storage",
        "_trial_id",
        "_cached_frozen_trial",
        "_fixed_params",
        "relative_search_space",
        "_relative_params",
    }
)


def storage_of(study: optuna.Study) -> BaseStorage:
    """The storage a loaded study reads and writes."""
    storage: BaseStorage = study._storage
    return storage


def study_id_of(study: optuna.Study) -> int:
    """The study's id in its storage."""
    return int(study._study_id)


def trial_id_of(trial: optuna.Trial | FrozenTrial) -> int:
    """A trial's id in its storage (unique across studies, unlike its number)."""
    return int(trial._trial_id)


def cached(rdb: RDBStorage) -> BaseStorage:
    """``rdb`` behind Optuna's cache layer, as ``optuna.storages.get_storage`` builds it."""
    return _CachedStorage(rdb)


def rdb_under(storage: BaseStorage) -> RDBStorage | None:
    """The relational storage under Optuna's cache layer, if that is what ``storage`` is."""
    if isinstance(storage, _CachedStorage):
        storage = storage._backend
    return storage if isinstance(storage, RDBStorage) else None


def write_attrs_in_one_session(
    rdb: RDBStorage, trial_id: int, user: Mapping[str, Any], system: Mapping[str, Any]
) -> None:
    """All attributes in one session: one commit, or none when the trial has ended (Optuna's
    ``UpdateFinishedTrialError``)."""
    # Imported here: the ORM models cost a trial process ~0.15 s it rarely needs.
    from optuna.storages._rdb import models
    from optuna.storages._rdb.storage import _create_scoped_session

    with _create_scoped_session(rdb.scoped_session, True) as session:
        for key, value in system.items():
            rdb._set_trial_attr_without_commit(
                session, models.TrialSystemAttributeModel, trial_id, key, value
            )
        for key, value in user.items():
            rdb._set_trial_attr_without_commit(
                session, models.TrialUserAttributeModel, trial_id, key, value
            )
