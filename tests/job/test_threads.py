"""A command trial's thread settings (OpenMP, MKL, ...): its ``resources.cpus`` unless the
job's environment or the sweep's ``objective.env`` says otherwise."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from job.test_runner import task_for

from sweeps.job.runner import run_trial
from sweeps.job.threads import THREAD_VARS

SAVE_MODEL = Path(__file__).resolve().parents[1] / "support" / "programs" / "save_model.py"
COMMAND = "${interpreter} train.py --save model.pt"


@pytest.fixture
def unset_threads(monkeypatch: pytest.MonkeyPatch, workdir: Path) -> None:
    """No thread variable set (the trial sets them in this process: undone afterwards)."""
    for var in THREAD_VARS:
        monkeypatch.setenv(var, "")
        monkeypatch.delenv(var)
    shutil.copy(SAVE_MODEL, workdir / "train.py")


def threads_seen(spec) -> dict[str, str]:  # type: ignore[no-untyped-def]
    assert run_trial(task_for(spec, {"x": 1.0})).state == "complete"
    threads: dict[str, str] = json.loads(Path("model.pt").read_text())["threads"]
    return {var: threads[var] for var in THREAD_VARS}


def test_a_command_trial_runs_with_its_cpus_as_its_thread_counts(make_spec, unset_threads) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(objective={"command": COMMAND}, resources={"time_min": 2, "cpus": 3})
    assert threads_seen(spec) == dict.fromkeys(THREAD_VARS, "3")


def test_the_sweeps_env_and_the_jobs_own_setting_win(  # type: ignore[no-untyped-def]
    make_spec, unset_threads, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MKL_NUM_THREADS", "2")  # exported by the job's setup, say
    objective = {"command": COMMAND, "env": {"OMP_NUM_THREADS": "1"}}
    _, spec = make_spec(objective=objective, resources={"time_min": 2, "cpus": 3})
    seen = threads_seen(spec)
    assert (seen["OMP_NUM_THREADS"], seen["MKL_NUM_THREADS"], seen["NUMEXPR_NUM_THREADS"]) == (
        "1",
        "2",
        "3",
    )
