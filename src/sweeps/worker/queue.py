"""The study as a queue of trials for warm workers.

A controller publishes a trial by recording its task on the trial and setting it WAITING; a
worker claims it with ``storage.set_trial_state_values(trial_id, RUNNING)``, which succeeds for
exactly one caller (PostgreSQL/MySQL lock the row; the journal's log order decides; SQLite
claims are serialised by a lock file beside the database). The worker beats a heartbeat on the
trial while it runs and records its outcome there; the controller tells the final state.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial, TrialState

from sweeps.job.task import TrialOutcome, TrialTask
from sweeps.spec import SweepSpec
from sweeps.storage.attrs import set_trial_attrs
from sweeps.storage.locks import file_lock
from sweeps.storage.optuna_internals import trial_id_of
from sweeps.storage.urls import sqlite_path
from sweeps.study.keys import Key


def spec_key(spec: SweepSpec) -> str:
    """Identifies the exact sweep settings; workers only claim trials of their own sweep."""
    return hashlib.sha256(spec.model_dump_json().encode()).hexdigest()[:16]


def task_record(task: TrialTask) -> dict[str, Any]:
    """The task as a JSON-able record (the spec travels as its key: workers hold the spec),
    stamped with the time it was published."""
    record = asdict(task)
    record.pop("spec")
    record["key"] = spec_key(task.spec)
    record["published_at"] = time.time()
    return record


def task_from_record(spec: SweepSpec, record: dict[str, Any]) -> TrialTask:
    """Rebuild the task a controller published, for a worker holding ``spec``."""
    fields = {k: v for k, v in record.items() if k not in ("key", "published_at")}
    return TrialTask(spec=spec, **fields)


def outcome_record(outcome: TrialOutcome) -> dict[str, Any]:
    """The outcome as a JSON-able record."""
    return asdict(outcome)


def outcome_from_record(record: dict[str, Any]) -> TrialOutcome:
    """Rebuild an outcome a worker recorded."""
    return TrialOutcome(**record)


def published(storage: BaseStorage, study_id: int, key: str) -> list[FrozenTrial]:
    """Published trials of the sweep not yet finished (WAITING or RUNNING)."""
    trials = storage.get_all_trials(
        study_id, deepcopy=False, states=(TrialState.WAITING, TrialState.RUNNING)
    )
    return [t for t in trials if t.system_attrs.get(Key.WARM_TASK, {}).get("key") == key]


def claim_published_trial(
    storage: BaseStorage, study_id: int, key: str, url: str, who: dict[str, Any]
) -> FrozenTrial | None:
    """Claim the oldest WAITING trial of the sweep; return its FrozenTrial, or None."""
    waiting = storage.get_all_trials(study_id, deepcopy=False, states=(TrialState.WAITING,))
    for trial in sorted(waiting, key=lambda t: t.number):
        if trial.system_attrs.get(Key.WARM_TASK, {}).get("key") != key:
            continue
        trial_id = trial_id_of(trial)
        with _claim_lock(url):
            won = storage.set_trial_state_values(trial_id, TrialState.RUNNING)
        if won:
            system: dict[str, Any] = {Key.LANE_HEARTBEAT: time.time(), Key.WORKER: who}
            set_trial_attrs(storage, trial_id, system=system)
            return trial
    return None


@contextlib.contextmanager
def _claim_lock(url: str) -> Iterator[None]:
    """SQLite reads outside the write transaction, so two claims could both see WAITING."""
    path = sqlite_path(url)
    if path is None:
        yield
        return
    with file_lock(Path(f"{path}.claim-lock")):
        yield
