"""Retrying transient storage errors: a thin wrapper that keeps Optuna's storage interface.

Many short-lived trial processes share one study. A SQLite file is briefly locked, a database
server restarts, a connection limit is reached for a moment: each is retried with exponential
backoff and jitter until a deadline, then raised. Nothing is ever dropped silently.

Writes that are not idempotent are made so: a new trial carries a unique token, so a retry
after a commit whose acknowledgement was lost finds the trial instead of creating another; a
state change that already landed is recognised as done.

A process tells at most one line per kind of operation every ``LOG_EVERY_S`` while it retries,
and one line when it gives up; an error is told as its first line (a gRPC error as its status
code and details, never gRPC's multi-line debug string).
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Container, Sequence
from typing import Any, TypeVar

from optuna.distributions import BaseDistribution
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import BaseStorage
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from sweeps.storage.optuna_internals import FrozenStudy, trial_id_of
from sweeps.storage.templates import template_trial

_log = logging.getLogger("sweeps.storage")

TOKEN = "sweeps:token"
T = TypeVar("T")

# Lower-cased fragments that mean the server is there but busy: worth waiting for, even on a
# first connection (see :mod:`sweeps.storage.reach`).
_BUSY = (
    "database is locked",
    "too many clients",
    "too many connections",
    "max_user_connections",
    "remaining connection slots",
    "the database system is starting up",
    "the database system is shutting down",
    "cannot connect now",
)

# Lower-cased fragments of driver messages that mean "try again later".
_TRANSIENT = (
    *_BUSY,
    "database table is locked",
    "database is busy",
    "could not connect",
    "connection refused",
    "connection reset",
    "connection timed out",
    "server closed the connection",
    "terminating connection",
    "connection is closed",
    "connection already closed",
    "consuming input failed",
    "the database system is",
    "lost connection",
    "gone away",
    "can't connect",
    "shutdown in progress",
    "broken pipe",
    "deadlock",
    "lock wait timeout",
    "ssl syscall",
    "no route to host",
    "statuscode.unavailable",  # the storage proxy is restarting or not yet listening
    "statuscode.deadline_exceeded",  # the storage proxy did not answer in time (stopped, stuck)
)


# Fragments that may be passing (MariaDB refuses logins while it starts or stops) but may also
# be a real misconfiguration: retried only for a short while.
_MAYBE_TRANSIENT = ("access denied for user",)
MAYBE_TRANSIENT_S = 30.0
LOG_EVERY_S = 30.0
_told: dict[str, float] = {}
_told_lock = threading.Lock()


def _may_tell(what: str) -> bool:
    """Whether a retry of ``what`` may be logged now (one line per kind per ``LOG_EVERY_S``)."""
    now = time.monotonic()
    with _told_lock:
        last = _told.get(what)
        if last is not None and now - last < LOG_EVERY_S:
            return False
        _told[what] = now
        return True


def _messages(err: BaseException) -> list[str]:
    seen: set[int] = set()
    found = []
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found.append(str(current).lower())
        current = current.__cause__ or current.__context__
    return found


def is_busy(err: BaseException) -> bool:
    """Whether ``err`` (or what caused it) says the server is there but busy."""
    return any(f in m for m in _messages(err) for f in _BUSY)


def is_briefly_transient(err: BaseException) -> bool:
    """Whether ``err`` is worth retrying for a short while only (see ``MAYBE_TRANSIENT_S``)."""
    return any(f in m for m in _messages(err) for f in _MAYBE_TRANSIENT)


def is_transient(err: BaseException) -> bool:
    """Whether ``err`` (or what caused it) is a passing condition worth retrying."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "connection_invalidated", False):
            return True
        if type(current).__name__ == "TimeoutError" and "QueuePool" in str(current):
            return True
        message = str(current).lower()
        if any(fragment in message for fragment in _TRANSIENT):
            return True
        current = current.__cause__ or current.__context__
    return False


class RetryPolicy:
    """Exponential backoff with jitter, bounded by a total deadline in seconds."""

    def __init__(self, deadline_s: float | None = None, first_s: float = 0.05, max_s: float = 5.0):
        env = os.environ.get("SWEEPS_STORAGE_RETRY_S")
        self.deadline_s = deadline_s if deadline_s is not None else float(env or 300)
        self.first_s, self.max_s = first_s, max_s

    def call(
        self,
        what: str,
        func: Callable[[], T],
        on_retry: Callable[[], None] | None = None,
        retry_if: Callable[[BaseException], bool] | None = None,
    ) -> T:
        """``func()``, retried until the deadline on transient errors (or on those
        ``retry_if`` accepts)."""
        start, attempt = time.monotonic(), 0
        while True:
            try:
                return func()
            except Exception as err:
                elapsed = time.monotonic() - start
                deadline = self.deadline_s
                if retry_if is not None:
                    if not retry_if(err):
                        raise
                elif not is_transient(err):
                    if not is_briefly_transient(err):
                        raise
                    deadline = min(deadline, MAYBE_TRANSIENT_S)
                if elapsed >= deadline:
                    _log.error(
                        "storage %s gave up after %.1f s and %d retries (deadline %g s, "
                        "SWEEPS_STORAGE_RETRY_S): %s",
                        what,
                        elapsed,
                        attempt,
                        deadline,
                        one_line(err),
                    )
                    raise
                attempt += 1
                delay = min(self.max_s, self.first_s * 2 ** (attempt - 1))
                delay = min(delay * random.uniform(0.5, 1.5), deadline - elapsed)
                if _may_tell(what):
                    _log.warning(
                        "storage %s failed (%s); retry %d in %.2fs, for up to %.0f s more",
                        what,
                        one_line(err),
                        attempt,
                        delay,
                        deadline - elapsed,
                    )
                time.sleep(max(delay, 0.0))
                if on_retry is not None:
                    on_retry()


def one_line(err: BaseException) -> str:
    """``err`` in one line: its type and first line, a gRPC error's status code and details."""
    cause = err.__cause__ or err
    code, details = getattr(cause, "code", None), getattr(cause, "details", None)
    if callable(code) and callable(details):  # grpc.RpcError
        try:
            status, said = code(), details()
        except Exception:  # not a gRPC error after all
            pass
        else:
            first = str(said or "").strip().splitlines()
            name = getattr(status, "name", status)
            return f"gRPC {name}: {first[0] if first else ''}"
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0] if text else ''}"


class RetryingStorage(BaseStorage):
    """An Optuna storage that retries its backend's transient errors."""

    def __init__(
        self,
        backend: BaseStorage,
        policy: RetryPolicy | None = None,
        tokens: bool = True,
        keep_given_token: bool = False,
    ) -> None:
        """``tokens``: tag new trials so a retried create is found, not repeated (needed where a
        commit's acknowledgement can be lost: database servers and SQLite, not the journal).
        ``keep_given_token``: a template that carries a token keeps it (a storage proxy: its
        client tagged the trial, and the client's retry and the proxy's find the same one)."""
        self.backend = backend
        self.policy = policy or RetryPolicy()
        self.tokens = tokens
        self.keep_given_token = keep_given_token

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        method = getattr(self.backend, name)
        return self.policy.call(name, lambda: method(*args, **kwargs))

    # Studies.
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        study_id: int = self._call("create_new_study", directions, study_name=study_name)
        return study_id

    def delete_study(self, study_id: int) -> None:
        self._call("delete_study", study_id)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._call("set_study_user_attr", study_id, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._call("set_study_system_attr", study_id, key, value)

    def get_study_id_from_name(self, study_name: str) -> int:
        study_id: int = self._call("get_study_id_from_name", study_name)
        return study_id

    def get_study_name_from_id(self, study_id: int) -> str:
        name: str = self._call("get_study_name_from_id", study_id)
        return name

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        directions: list[StudyDirection] = self._call("get_study_directions", study_id)
        return directions

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        attrs: dict[str, Any] = self._call("get_study_user_attrs", study_id)
        return attrs

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        attrs: dict[str, Any] = self._call("get_study_system_attrs", study_id)
        return attrs

    def get_all_studies(self) -> list[FrozenStudy]:
        studies: list[FrozenStudy] = self._call("get_all_studies")
        return studies

    # Trials.
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        if not self.tokens:
            return self.policy.call(
                "create_new_trial", lambda: self.backend.create_new_trial(study_id, template_trial)
            )
        given = template_trial.system_attrs.get(TOKEN) if template_trial is not None else None
        keep = self.keep_given_token and isinstance(given, str)
        token = given if keep and isinstance(given, str) else uuid.uuid4().hex
        template = _with_token(template_trial, token)
        tried = False

        def create() -> int:
            nonlocal tried
            if tried:  # an earlier attempt may have committed before its connection dropped
                found = self._find_token(study_id, token)
                if found is not None:
                    return found
            tried = True
            trial_id: int = self.backend.create_new_trial(study_id, template_trial=template)
            return trial_id

        return self.policy.call("create_new_trial", create)

    def _find_token(self, study_id: int, token: str) -> int | None:
        for trial in self.backend.get_all_trials(study_id, deepcopy=False):
            if trial.system_attrs.get(TOKEN) == token:
                return trial_id_of(trial)
        return None

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        self._call("set_trial_param", trial_id, param_name, param_value_internal, distribution)

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        trial_id: int = self._call(
            "get_trial_id_from_study_id_trial_number", study_id, trial_number
        )
        return trial_id

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        tried = False

        def update() -> bool:
            nonlocal tried
            try:
                first, tried = not tried, True
                result: bool = self.backend.set_trial_state_values(trial_id, state, values)
                return result
            except UpdateFinishedTrialError:
                if first or not self._landed(trial_id, state, values):
                    raise
                return True  # the earlier attempt committed; its acknowledgement was lost

        return self.policy.call("set_trial_state_values", update)

    def _landed(self, trial_id: int, state: TrialState, values: Sequence[float] | None) -> bool:
        trial = self.backend.get_trial(trial_id)
        stored = list(trial.values) if trial.values is not None else None
        wanted = list(values) if values is not None else None
        return trial.state == state and stored == wanted

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        self._call("set_trial_intermediate_value", trial_id, step, intermediate_value)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._call("set_trial_user_attr", trial_id, key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._call("set_trial_system_attr", trial_id, key, value)

    def set_trial_attrs(self, trial_id: int, user: dict[str, Any], system: dict[str, Any]) -> None:
        """Several attributes at once (one commit on relational backends); retried whole."""
        from sweeps.storage.attrs import set_trial_attrs

        self.policy.call(
            "set_trial_attrs", lambda: set_trial_attrs(self.backend, trial_id, user, system)
        )

    def get_trial(self, trial_id: int) -> FrozenTrial:
        trial: FrozenTrial = self._call("get_trial", trial_id)
        return trial

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        trials: list[FrozenTrial] = self._call(
            "get_all_trials", study_id, deepcopy=deepcopy, states=states
        )
        return trials

    def get_n_trials(
        self, study_id: int, state: tuple[TrialState, ...] | TrialState | None = None
    ) -> int:
        n: int = self._call("get_n_trials", study_id, state)
        return n

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        trial: FrozenTrial = self._call("get_best_trial", study_id)
        return trial

    def remove_session(self) -> None:
        self.backend.remove_session()

    def check_trial_is_updatable(self, trial_id: int, trial_state: TrialState) -> None:
        self.backend.check_trial_is_updatable(trial_id, trial_state)


def _with_token(template: FrozenTrial | None, token: str) -> FrozenTrial:
    if template is None:
        template = template_trial(TrialState.RUNNING)
    copy = FrozenTrial(
        number=template.number,
        state=template.state,
        value=None,
        values=template.values,
        datetime_start=template.datetime_start,
        datetime_complete=template.datetime_complete,
        params=dict(template.params),
        distributions=dict(template.distributions),
        user_attrs=dict(template.user_attrs),
        system_attrs={**template.system_attrs, TOKEN: token},
        intermediate_values=dict(template.intermediate_values),
        trial_id=trial_id_of(template),
    )
    return copy
