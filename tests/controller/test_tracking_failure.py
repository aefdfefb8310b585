"""A tracker that fails (an MLflow server that is not there) is reported once, in one line
that shows no password; the trials still complete and the study holds what it would hold."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from optuna.trial import TrialState
from support.tracked_sweep import run_sweep, tracked_spec

from sweeps.controller.tracking.failures import WARNED

UNREACHABLE = "http://alice:${SWEEPS_TEST_MLFLOW_PASSWORD}@127.0.0.1:9"  # the discard port


@pytest.fixture
def fresh_warnings() -> Iterator[None]:
    """As in a new process: no tracker has warned yet."""
    kept = set(WARNED)
    WARNED.clear()
    yield
    WARNED.clear()
    WARNED.update(kept)


@pytest.mark.usefixtures("fresh_warnings")
def test_an_unreachable_mlflow_warns_once_and_every_trial_completes(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SWEEPS_TEST_MLFLOW_PASSWORD", "hunter2")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # refused at once, no backoff
    spec = tracked_spec({"mlflow": {"tracking_uri": UNREACHABLE}, "tensorboard": {}})
    trials = run_sweep(spec)
    err = capfd.readouterr().err
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3
    assert all(len(t.intermediate_values) == 3 for t in trials)
    warnings = [line for line in err.splitlines() if "tracking to" in line]
    assert len(warnings) == 1, err
    assert warnings[0].startswith("sweeps: warning: tracking to mlflow at http://alice:***@")
    assert "trials go on without it" in warnings[0]
    assert "hunter2" not in err
    # The other tracker is not held up by the one that fails.
    assert sorted(p.name for p in Path("results/t/tensorboard").iterdir()) == ["t-0", "t-1", "t-2"]
