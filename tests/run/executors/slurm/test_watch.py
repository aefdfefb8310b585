"""Waiting for a Slurm job: a job accounting does not know yet is not taken for a vanished one.

slurmdbd learns of a job seconds after slurmctld starts it, and that lag cannot be had on demand
on a test cluster: the status board and ``squeue``'s answers are given here (stand-ins).
"""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from sweeps.run.executors.slurm import watch as watch_module
from sweeps.run.executors.slurm.accounting import JobInfo
from sweeps.run.executors.slurm.watch import wait_slurm
from sweeps.spec.model import SlurmSettings


class UnknownToAccounting:
    """A status board on which the job never appears."""

    def poll(self, job_id: str, max_age_s: float) -> JobInfo | None:
        return None

    def forget(self, job_id: str) -> None:
        pass


def test_a_job_slurmctld_runs_is_waited_for_until_it_leaves_the_queue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = [{"77": JobInfo("77", "RUNNING")}, {"77": JobInfo("77", "PENDING")}, {}]
    asked: list[list[str]] = []

    def query_queue(job_ids: list[str]) -> dict[str, JobInfo]:
        asked.append(job_ids)
        return queue[min(len(asked) - 1, len(queue) - 1)]

    monkeypatch.setattr(watch_module, "query_queue", query_queue)
    job: Any = SimpleNamespace(job_id="77", paths=SimpleNamespace(result_pickle=tmp_path / "r"))
    settings = SlurmSettings(
        status_interval_s=0.02, status_max_interval_s=0.02, vanished_after_s=0.2
    )
    started = time.monotonic()
    watch = wait_slurm(job, settings, UnknownToAccounting())  # type: ignore[arg-type]
    assert watch.vanished and watch.info is None
    assert asked == [["77"]] * 3  # asked only when the job was about to be declared lost
    assert time.monotonic() - started >= 3 * 0.2  # two more periods while slurmctld held it


def test_a_job_neither_knows_is_lost_after_the_period(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watch_module, "query_queue", lambda job_ids: {})
    job: Any = SimpleNamespace(job_id="78", paths=SimpleNamespace(result_pickle=tmp_path / "r"))
    settings = SlurmSettings(
        status_interval_s=0.02, status_max_interval_s=0.02, vanished_after_s=0.2
    )
    started = time.monotonic()
    watch = wait_slurm(job, settings, UnknownToAccounting())  # type: ignore[arg-type]
    assert watch.vanished
    assert 0.2 <= time.monotonic() - started < 10.0
