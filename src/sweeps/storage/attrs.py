"""Writing several attributes of one trial in one transaction.

Optuna's storage API sets one attribute per call, and on a database each call is a commit
(about 5 ms on SQLite, a round trip on a server). A trial's controller writes some twenty
facts when it tells a trial, so on relational storages they go in one session instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from optuna.storages import BaseStorage, RDBStorage
from optuna.storages._cached_storage import _CachedStorage
from optuna.storages._rdb import models
from optuna.storages._rdb.storage import _create_scoped_session


def set_trial_attrs(
    storage: BaseStorage,
    trial_id: int,
    user: Mapping[str, Any] | None = None,
    system: Mapping[str, Any] | None = None,
) -> None:
    """Set ``user`` and ``system`` attributes of a trial, in one commit where possible.

    Raises Optuna's ``UpdateFinishedTrialError`` (nothing written) once the trial has ended.
    """
    user, system = dict(user or {}), dict(system or {})
    if not user and not system:
        return
    batched = getattr(storage, "set_trial_attrs", None)
    if batched is not None:
        batched(trial_id, user, system)
        return
    rdb = rdb_of(storage)
    if rdb is not None:
        write_in_one_session(rdb, trial_id, user, system)
        return
    for key, value in system.items():
        storage.set_trial_system_attr(trial_id, key, value)
    for key, value in user.items():
        storage.set_trial_user_attr(trial_id, key, value)


def rdb_of(storage: BaseStorage) -> RDBStorage | None:
    """The relational storage under Optuna's cache layer, if that is what ``storage`` is."""
    if isinstance(storage, _CachedStorage):
        storage = storage._backend
    return storage if isinstance(storage, RDBStorage) else None


def write_in_one_session(
    rdb: RDBStorage, trial_id: int, user: dict[str, Any], system: dict[str, Any]
) -> None:
    """All attributes in one session: one commit, or none when the trial has ended."""
    with _create_scoped_session(rdb.scoped_session, True) as session:
        for key, value in system.items():
            rdb._set_trial_attr_without_commit(
                session, models.TrialSystemAttributeModel, trial_id, key, value
            )
        for key, value in user.items():
            rdb._set_trial_attr_without_commit(
                session, models.TrialUserAttributeModel, trial_id, key, value
            )
