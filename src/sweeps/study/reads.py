"""Reading only the trials a step needs: a controller's per-trial path must not grow with the
study (a slot's trials, the RUNNING ones), so on relational storages these are queried, not
filtered out of the whole study."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import optuna
from optuna.storages import BaseStorage, RDBStorage
from optuna.trial import FrozenTrial, TrialState

from sweeps.storage.optuna_internals import rdb_under, storage_of, study_id_of, trials_tagged
from sweeps.storage.retry import RetryingStorage

T = TypeVar("T")


def cache_layer(study: optuna.Study) -> BaseStorage:
    """The study's storage under the retry layer: Optuna's cache layer on databases."""
    storage: BaseStorage = storage_of(study)
    return storage.backend if isinstance(storage, RetryingStorage) else storage


def _rdb(study: optuna.Study) -> tuple[RDBStorage, Callable[[str, Callable[[], T]], T]] | None:
    """The relational storage under the study's layers, and how to call it (with retries)."""
    storage: BaseStorage = storage_of(study)
    call: Callable[[str, Callable[[], Any]], Any] = lambda _name, read: read()  # noqa: E731
    if isinstance(storage, RetryingStorage):
        call, storage = storage.policy.call, storage.backend
    rdb = rdb_under(storage)
    return None if rdb is None else (rdb, call)


def tagged_trials(study: optuna.Study, key: str, value: Any) -> list[FrozenTrial]:
    """The study's trials whose system attribute ``key`` is ``value``, oldest first."""
    found = _rdb(study)
    if found is None:
        trials = study.get_trials(deepcopy=False)
        return [t for t in trials if t.system_attrs.get(key) == value]
    rdb, call = found
    return call("get_all_trials", lambda: trials_tagged(rdb, study_id_of(study), key, value))


def trials_in(study: optuna.Study, states: tuple[TrialState, ...]) -> list[FrozenTrial]:
    """The study's trials in ``states``, oldest first."""
    found = _rdb(study)
    if found is None:
        return study.get_trials(deepcopy=False, states=states)
    rdb, call = found
    study_id = study_id_of(study)
    return call("get_all_trials", lambda: rdb.get_all_trials(study_id, False, states))
