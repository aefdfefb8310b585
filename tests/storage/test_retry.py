"""The retry layer's guarantees, with faults injected into a real SQLite storage.

A dropped connection right after a commit cannot be produced on demand with a real server, so
these tests wrap the real storage and raise the driver's error after (or instead of) the call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.trial import TrialState
from sqlalchemy.exc import OperationalError

from sweeps.storage.open import open_plain_storage
from sweeps.storage.retry import RetryingStorage, RetryPolicy, is_transient

DROPPED = OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))


class Flaky:
    """Delegates to a real storage; ``fail[name]`` calls of ``name`` raise ``DROPPED``,
    after doing the call when ``after_commit``."""

    def __init__(self, real: Any, fail: dict[str, int], after_commit: bool) -> None:
        self.real, self.fail, self.after_commit = real, dict(fail), after_commit

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.real, name)
        if not self.fail.get(name):
            return method

        def flaky(*args: Any, **kwargs: Any) -> Any:
            self.fail[name] -= 1
            if self.after_commit:
                method(*args, **kwargs)
            raise DROPPED

        return flaky


@pytest.mark.parametrize("after_commit", [False, True])
def test_lost_acknowledgements_create_no_duplicates(tmp_path: Path, after_commit: bool) -> None:
    real = open_plain_storage(f"sqlite:///{tmp_path}/s.db")
    flaky = Flaky(
        real, {"create_new_trial": 1, "set_trial_state_values": 1}, after_commit=after_commit
    )
    storage = RetryingStorage(flaky, RetryPolicy(deadline_s=5))  # type: ignore[arg-type]
    study = optuna.create_study(storage=storage)
    trial = study.ask()
    study.tell(trial, 1.0)
    trials = study.get_trials()
    assert len(trials) == 1 and trials[0].state == TrialState.COMPLETE
    assert trials[0].value == 1.0


def test_errors_that_are_not_passing_are_raised_at_once(tmp_path: Path) -> None:
    storage = RetryingStorage(open_plain_storage(f"sqlite:///{tmp_path}/s.db"))
    with pytest.raises(KeyError):
        storage.get_study_id_from_name("no such study")
    assert is_transient(DROPPED)
    assert not is_transient(ValueError("no such table: trials"))


def test_the_deadline_ends_retrying(tmp_path: Path) -> None:
    real = open_plain_storage(f"sqlite:///{tmp_path}/s.db")
    flaky = Flaky(real, {"get_all_studies": 10**6}, after_commit=False)
    storage = RetryingStorage(flaky, RetryPolicy(deadline_s=0.5))  # type: ignore[arg-type]
    with pytest.raises(OperationalError, match="server closed"):
        storage.get_all_studies()


@pytest.mark.parametrize("keep", [True, False])
def test_a_proxy_keeps_its_clients_token_so_a_lost_reply_creates_no_duplicate(
    tmp_path: Path, keep: bool
) -> None:
    """Client retry layer -> a reply lost on the way back -> the proxy's own retry layer: the
    client finds the trial the proxy created only if the proxy kept the client's token."""
    real = open_plain_storage(f"sqlite:///{tmp_path}/s.db")
    proxy_side = RetryingStorage(real, RetryPolicy(deadline_s=5), keep_given_token=keep)
    lost_reply = Flaky(proxy_side, {"create_new_trial": 1}, after_commit=True)
    client = RetryingStorage(lost_reply, RetryPolicy(deadline_s=5))  # type: ignore[arg-type]
    study = optuna.create_study(storage=client)
    study.tell(study.ask(), 1.0)
    created = optuna.load_study(study_name=study.study_name, storage=real).get_trials()
    assert len(created) == (1 if keep else 2)
