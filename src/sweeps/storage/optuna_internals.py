"""Every use of Optuna's private API, in one module.

Optuna's public API cannot reach a study's storage and id or a trial's id in that storage (the
slot controllers create tagged trials through the storage API), write several attributes in one
transaction, read only the trials that carry a system attribute (a slot's trials, without
reading the whole study), wrap an RDB storage in Optuna's own cache layer, hand the finished
trials that layer holds to a later process (they never change again, and reading them all
costs seconds in a large study), say which attributes ``optuna.Trial.__init__`` sets (the
trial handle, an ``optuna.Trial``, sets them on first use), or put Optuna's gRPC storage proxy
behind a server and a channel of our own (its public API binds no token and no interceptor).
Each such use is a name here; ``tests/storage/test_optuna_internals.py`` checks them against
the installed Optuna.
"""

from __future__ import annotations

import json
import sqlite3
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import optuna
from optuna.storages import BaseStorage, RDBStorage
from optuna.storages._cached_storage import _CachedStorage
from optuna.study._frozen import FrozenStudy
from optuna.trial import FrozenTrial

if TYPE_CHECKING:
    import grpc

CHECKED_WITH = "5.0"  # the Optuna release these internals were last checked against

__all__ = [
    "CHECKED_WITH",
    "TRIAL_STATE",
    "FinishedTrials",
    "FrozenStudy",
    "cached",
    "finished_in_cache",
    "grpc_proxy_client",
    "has_read_trials",
    "proxy_servicer_on",
    "rdb_under",
    "seed_cache",
    "storage_of",
    "study_id_of",
    "trial_id_of",
    "trials_tagged",
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
    ``UpdateFinishedTrialError``). The trial is checked once and each kind of attribute goes
    in one multi-row upsert where the database has one (Optuna's own per-key write costs two
    statements an attribute, and a trial is told with some twenty)."""
    # Imported here: the ORM models cost a trial process ~0.15 s it rarely needs.
    from optuna.storages._rdb import models
    from optuna.storages._rdb.storage import _create_scoped_session

    with _create_scoped_session(rdb.scoped_session, True) as session:
        trial = models.TrialModel.find_or_raise_by_id(trial_id, session)
        rdb.check_trial_is_updatable(trial_id, trial.state)
        for model_cls, attrs in (
            (models.TrialSystemAttributeModel, system),
            (models.TrialUserAttributeModel, user),
        ):
            if not attrs:
                continue
            statement = _upsert(rdb.engine.name, model_cls, trial_id, attrs)
            if statement is not None:
                session.execute(statement)
                continue
            for key, value in attrs.items():  # a database without an upsert
                rdb._set_trial_attr_without_commit(session, model_cls, trial_id, key, value)


def _upsert(dialect: str, model_cls: Any, trial_id: int, attrs: Mapping[str, Any]) -> Any:
    """One statement inserting or updating ``attrs`` of the trial (values JSON-encoded as
    Optuna encodes them); None where ``dialect`` has no upsert."""
    rows = [
        {"trial_id": trial_id, "key": key, "value_json": json.dumps(value)}
        for key, value in attrs.items()
    ]
    if dialect == "mysql":
        from sqlalchemy.dialects import mysql

        inserted = mysql.insert(model_cls).values(rows)
        return inserted.on_duplicate_key_update(value_json=inserted.inserted.value_json)
    if dialect == "postgresql" or (dialect == "sqlite" and sqlite3.sqlite_version_info >= (3, 24)):
        from sqlalchemy.dialects import postgresql, sqlite

        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(model_cls).values(rows)
        return statement.on_conflict_do_update(
            index_elements=[model_cls.trial_id, model_cls.key],
            set_={"value_json": statement.excluded.value_json},
        )
    return None


_NO_TRIAL_ID_ABOVE = 2**31 - 1


def trials_tagged(rdb: RDBStorage, study_id: int, key: str, value: Any) -> list[FrozenTrial]:
    """The study's trials whose system attribute ``key`` is ``value``, oldest first: two
    queries of the trials at hand, however large the study."""
    import json

    from optuna.storages._rdb import models
    from optuna.storages._rdb.storage import _create_scoped_session

    with _create_scoped_session(rdb.scoped_session) as session:
        rows = (
            session.query(models.TrialModel.trial_id)
            .join(models.TrialSystemAttributeModel)
            .filter(
                models.TrialModel.study_id == study_id,
                models.TrialSystemAttributeModel.key == key,
                models.TrialSystemAttributeModel.value_json == json.dumps(value),
            )
            .all()
        )
    ids = {int(row[0]) for row in rows}
    if not ids:
        return []
    # Optuna's own reader of a set of trials: those listed, or newer than a bound that no
    # trial id passes (trial_id is a 32-bit column), so only those listed are read.
    trials = rdb._get_trials(
        study_id, None, included_trial_ids=ids, trial_id_greater_than=_NO_TRIAL_ID_ABOVE
    )
    return sorted((t for t in trials if t._trial_id in ids), key=lambda t: t.number)


@dataclass(frozen=True)
class FinishedTrials:
    """What Optuna's cache layer knows of a study that no later read can change: its finished
    trials, and where its next read starts (trials newer than ``last_finished_id``, plus the
    older ones that were unfinished then)."""

    study_id: int
    trials: list[FrozenTrial]
    unfinished_ids: frozenset[int]
    last_finished_id: int


def finished_in_cache(storage: BaseStorage, study_id: int) -> FinishedTrials | None:
    """The finished trials Optuna's cache layer holds for the study (None: no such layer)."""
    if not isinstance(storage, _CachedStorage):
        return None
    with storage._lock:
        info = storage._studies.get(study_id)
        if info is None:
            return None
        finished = [t for t in info.trials.values() if t.state.is_finished()]
        return FinishedTrials(
            study_id,
            sorted(finished, key=lambda t: t.number),
            frozenset(info.unfinished_trial_ids),
            info.last_finished_trial_id,
        )


def has_read_trials(storage: BaseStorage, study_id: int) -> bool:
    """Whether Optuna's cache layer has read any of the study's trials (True: no such layer)."""
    if not isinstance(storage, _CachedStorage):
        return True
    with storage._lock:
        return _has_read(storage, study_id)


def _has_read(storage: _CachedStorage, study_id: int) -> bool:
    # A trial this process created is cached too, without the layer having read the study.
    info = storage._studies.get(study_id)
    return info is not None and bool(info.unfinished_trial_ids or info.last_finished_trial_id > -1)


def seed_cache(storage: BaseStorage, known: FinishedTrials) -> bool:
    """Fill Optuna's cache layer with ``known`` for a study it has not read yet; its next read
    fetches only what is newer. False (nothing done) where that layer already read it."""
    if not isinstance(storage, _CachedStorage):
        return False
    from optuna.storages._cached_storage import _StudyInfo

    with storage._lock:
        if _has_read(storage, known.study_id):
            return False
        info = storage._studies.setdefault(known.study_id, _StudyInfo())
        storage._add_trials_to_cache(known.study_id, known.trials)
        info.unfinished_trial_ids = set(known.unfinished_ids)
        info.last_finished_trial_id = known.last_finished_id
    return True


def cache_trial(storage: BaseStorage, study_id: int, trial: FrozenTrial) -> None:
    """Tell Optuna's cache layer under ``storage`` (through wrappers with a ``backend``) of a
    trial another process created, as its own ``create_new_trial`` would: this process may then
    set the trial's parameters (define-by-run in a trial job). Nothing where no such layer."""
    layer: Any = storage
    while not isinstance(layer, _CachedStorage) and hasattr(layer, "backend"):
        layer = layer.backend
    if not isinstance(layer, _CachedStorage):
        return
    from optuna.storages._cached_storage import _StudyInfo

    with layer._lock:
        if trial._trial_id in layer._trial_id_to_study_id_and_number:
            return
        layer._studies.setdefault(study_id, _StudyInfo())
        layer._add_trials_to_cache(study_id, [trial])


def proxy_servicer_on(server: grpc.Server, storage: BaseStorage) -> None:
    """Serve ``storage`` on ``server`` as ``optuna.storages.run_grpc_proxy_server`` does."""
    from optuna.storages._grpc.auto_generated import api_pb2_grpc
    from optuna.storages._grpc.servicer import OptunaStorageProxyService

    api_pb2_grpc.add_StorageServiceServicer_to_server(OptunaStorageProxyService(storage), server)


def grpc_proxy_client(channel: Callable[[], grpc.Channel]) -> BaseStorage:
    """Optuna's ``GrpcStorageProxy`` talking over the channels ``channel()`` makes (e.g. ones
    that add a token); a new one after unpickling, as Optuna's own does."""
    from optuna.storages import GrpcStorageProxy
    from optuna.storages._grpc.auto_generated import api_pb2_grpc
    from optuna.storages._grpc.client import GrpcClientCache

    class _Client(GrpcStorageProxy):
        def _setup(self) -> None:
            self._channel = channel()
            self._stub = api_pb2_grpc.StorageServiceStub(self._channel)
            self._cache = GrpcClientCache(self._stub)

    with warnings.catch_warnings():  # experimental since Optuna 4.2: said once, in the docs
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return _Client()
