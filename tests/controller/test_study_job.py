"""The workflow's first job: prepare the study; with warm workers, start them first."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from sweeps.controller.study_job import run_study_job
from sweeps.run.strategies.warm.pool import WorkerPool
from sweeps.study import StudyMismatch, load_study

WARM = {
    "poll_interval_s": 0.1,
    "mode": "warm",
    "warm": {"workers": 2, "idle_timeout_s": 30, "heartbeat_s": 0.2, "poll_s": 0.05},
}


def gone(pool: WorkerPool, timeout_s: float = 30) -> bool:
    deadline = time.monotonic() + timeout_s
    while pool.live() and time.monotonic() < deadline:
        time.sleep(0.2)
    return not pool.live()


def test_warm_workers_start_with_the_study(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(dispatch=WARM)
    info = run_study_job(spec, Path("results/t/study.json"))
    pool = WorkerPool(spec)
    try:
        assert info["workers_started"] == 2  # parallelism 2, one lane each
        assert json.loads(Path("results/t/study.json").read_text())["study"] == "t"
        assert load_study(spec).trials == []
        assert len(pool.live()) == 2
    finally:
        pool.stop()
    assert gone(pool)


def test_workers_are_cancelled_when_the_study_cannot_be_prepared(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(dispatch=WARM)
    run_study_job(spec)
    pool = WorkerPool(spec)
    pool.stop()
    assert gone(pool)
    _, changed = make_spec(
        name="changed.yaml", dispatch=WARM, space={"x": {"type": "float", "low": 0, "high": 1}}
    )
    with pytest.raises(StudyMismatch):
        run_study_job(changed)
    assert gone(WorkerPool(changed))  # the workers it had started were stopped again
    assert len(list(pool.folder.glob("*.lane0.log"))) == 4  # two workers per run started
