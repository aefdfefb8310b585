"""Checking a storage from here: credentials, filesystem, reachable and writable."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from optuna.distributions import FloatDistribution
from optuna.storages import BaseStorage
from optuna.study import StudyDirection
from optuna.trial import TrialState

from sweeps.storage.credentials import CredentialError, expand_url
from sweeps.storage.filesystems import filesystem_of, is_network
from sweeps.storage.open import open_plain_storage
from sweeps.storage.reach import StorageUnreachable, check_reachable
from sweeps.storage.retry import RetryingStorage, RetryPolicy
from sweeps.storage.urls import backend_of, redact_url, storage_file

Level = Literal["ok", "warn", "fail"]
CONNECT_DEADLINE_S = 15.0
MOUNTS = Path("/proc/mounts")


@dataclass(frozen=True)
class Check:
    """One finding: its level, what was checked, and what was seen."""

    level: Level
    what: str
    detail: str


def check_storage(url: str, mounts: Path = MOUNTS) -> list[Check]:
    """Check ``url`` (unexpanded) from this host; never shows a secret."""
    try:
        backend = backend_of(url)
    except ValueError as err:
        return [Check("fail", "storage", str(err))]
    shown = f"{backend}: {redact_url(url)}"
    try:
        expand_url(url)
    except CredentialError as err:
        return [
            Check("fail", "storage", f"{shown}: not opened"),
            Check("fail", "credentials", str(err)),
        ]
    checks = []
    if "${" in url:
        checks.append(Check("ok", "credentials", "references resolved in this environment"))
    checks.extend(_filesystem_checks(url, backend, mounts))
    try:
        check_reachable(url, busy_wait_s=CONNECT_DEADLINE_S, sweep_file=None)
    except StorageUnreachable as err:
        return [Check("fail", "storage", f"{backend}: {err}"), *checks]
    listed = _list_studies(url)
    round_trip = _round_trip(url)
    opened = listed.level == "ok" and round_trip.level == "ok"
    return [Check("ok" if opened else "fail", "storage", shown), *checks, listed, round_trip]


def _list_studies(url: str) -> Check:
    """Read what the storage holds (an unreadable journal or schema fails here)."""
    try:
        studies = open_plain_storage(url, _policy()).get_all_studies()
    except Exception as err:
        return Check("fail", "read", _first_line(err))
    names = ", ".join(sorted(s.study_name for s in studies)[:5])
    more = f" ({names}{', ...' if len(studies) > 5 else ''})" if studies else ""
    return Check("ok", "read", f"{len(studies)} studies{more}")


def _policy() -> RetryPolicy:
    return RetryPolicy(deadline_s=min(RetryPolicy().deadline_s, CONNECT_DEADLINE_S))


def _first_line(err: Exception) -> str:
    reason = str(err.__cause__ or err).strip().splitlines()
    return f"{type(err).__name__}: {reason[0] if reason else ''}"


def _filesystem_checks(url: str, backend: str, mounts: Path) -> list[Check]:
    path = storage_file(url)
    if path is None:
        return []
    found = filesystem_of(path, mounts)
    if found is None:
        return [Check("warn", "filesystem", f"{path}: could not tell (no /proc/mounts)")]
    fstype, mount = found
    where = f"{path} is on {fstype} (mounted at {mount})"
    if backend == "sqlite" and is_network(fstype):
        return [
            Check(
                "warn",
                "filesystem",
                f"{where}: SQLite's file locks are unreliable on network filesystems; with "
                "trials on several nodes the study can be corrupted. Use a journal "
                "(journal:///path/study.log) or a PostgreSQL/MariaDB server",
            )
        ]
    note = " (the journal's lock files are made for this)" if is_network(fstype) else ""
    return [Check("ok", "filesystem", where + note)]


def _round_trip(url: str) -> Check:
    """Create a scratch study, write a trial, read it back, delete the study."""
    policy = _policy()
    start = time.perf_counter()
    try:
        storage = RetryingStorage(open_plain_storage(url, policy), policy)
        _write_and_read(storage)
    except Exception as err:
        return Check("fail", "read/write", _first_line(err))
    ms = (time.perf_counter() - start) * 1000
    return Check(
        "ok", "read/write", f"created, wrote, read back and deleted a study in {ms:.0f} ms"
    )


def _write_and_read(storage: BaseStorage) -> None:
    name = f"sweeps-doctor-{uuid.uuid4().hex[:12]}"
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], name)
    try:
        trial_id = storage.create_new_trial(study_id)
        storage.set_trial_param(trial_id, "x", 0.5, FloatDistribution(0.0, 1.0))
        storage.set_trial_intermediate_value(trial_id, 0, 1.0)
        storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [0.25])
        trial = storage.get_trial(trial_id)
        if trial.value != 0.25 or trial.intermediate_values != {0: 1.0}:
            raise RuntimeError(f"read back {trial.value!r}, {trial.intermediate_values!r}")
    finally:
        storage.delete_study(study_id)
