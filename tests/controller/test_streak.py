"""Fail fast: a sweep whose trials keep failing with the same cause stops, through real
`snakemake` runs of the workflow (trials as local processes, SQLite)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.trial import TrialState
from support.specs import base_spec
from support.workflow import objectives_env, run_snakemake, workflow_project

from sweeps.study.keys import Key
from sweeps.study.slots import uncounted

pytestmark = pytest.mark.e2e

CAUSE = "ModuleNotFoundError: No module named 'sweeps_test_fix_me'"
STOP_LINE = f"sweep stopped: 3 trials in a row failed with the same cause: {CAUSE}"
NO_SUCCESS = "sweeps: no trial of sweep 't' succeeded"
OTHERS_LINE = "sweep stopped (same-cause failures, see 'sweep stopped:' above)"


def project(tmp_path: Path, **overrides: Any) -> Path:
    return workflow_project(tmp_path, base_spec(pruner=None, **overrides))


def snakemake(cwd: Path, fixed: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the sweep; with ``fixed``, the package the objective needs is importable."""
    env = {**objectives_env(), "SWEEPS_TEST_CALLS": str(cwd / "calls.txt")}
    if fixed:
        (cwd / "fix").mkdir(exist_ok=True)
        (cwd / "fix" / "sweeps_test_fix_me.py").write_text("")
        env["PYTHONPATH"] = os.pathsep.join([str(cwd / "fix"), env["PYTHONPATH"]])
    return run_snakemake(cwd, "--cores", "2", "--keep-going", env=env)


def calls(cwd: Path) -> int:
    path = cwd / "calls.txt"
    return len(path.read_text().splitlines()) if path.exists() else 0


def study_of(cwd: Path) -> optuna.Study:
    return optuna.load_study(study_name="t", storage=f"sqlite:///{cwd}/results/t/study.db")


def status(cwd: Path, *args: str) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "sweeps", "status", "--spec", "config/sweeps/default.yaml", *args],
        cwd=cwd,
        env=objectives_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return run.stdout if args else " ".join(run.stdout.split())


def running_process(pid: int, wait_s: float = 10) -> bool:
    """Whether process ``pid`` still runs (not gone, not a zombie) after up to ``wait_s``."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            if "zombie" in Path(f"/proc/{pid}/status").read_text():
                return False
        except FileNotFoundError:
            return False
        time.sleep(0.2)
    return True


def objective_failures(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    return [
        t
        for t in study.trials
        if t.state == TrialState.FAIL and not t.system_attrs.get(Key.RETRYABLE)
    ]


def test_same_cause_failures_stop_the_sweep_and_a_fixed_rerun_finishes_it(
    tmp_path: Path,
) -> None:
    # The first trial fails only after 30 s, so it is in flight when the others trip the stop.
    cwd = project(
        tmp_path,
        objective={
            "function": "support.streak_objectives:needs_missing_module",
            "args": {"slow_first_s": 30},
        },
        budget={"n_trials": 10},
    )
    first = snakemake(cwd)
    assert first.returncode != 0
    assert first.stderr.count(STOP_LINE) == 1, first.stderr[-4000:]
    assert f"{STOP_LINE} (trials " in first.stderr
    assert "no trial of the sweep has succeeded yet; fix it and run again" in first.stderr
    assert first.stderr.count(CAUSE) == 1  # the others refer to it without repeating it
    assert OTHERS_LINE in first.stderr
    assert re.search(r"trial \d+ cancelled", first.stderr)  # the first trial was in flight
    study = study_of(cwd)
    assert calls(cwd) <= 4  # the three that failed, and the one in flight
    assert not [t for t in study.trials if t.state == TrialState.RUNNING]
    failed = objective_failures(study)
    assert len(failed) == 3 and {t.user_attrs["fail_reason"] for t in failed} == {CAUSE}
    cancelled = [t for t in study.trials if t.user_attrs["fail_reason"].startswith("cancelled")]
    assert [t.state for t in cancelled] == [TrialState.FAIL]
    assert "the sweep stopped on same-cause failures" in cancelled[0].user_attrs["fail_reason"]
    assert cancelled[0].system_attrs[Key.RETRYABLE]  # a re-run retries it
    assert not running_process(int(cancelled[0].user_attrs["job_id"]))  # its job was stopped
    assert f"stopped: 3 trials in a row failed with the same cause: {CAUSE}" in status(cwd)
    assert "they do not use up n_trials: a re-run runs their slots again" in status(cwd)
    stopped = json.loads(status(cwd, "--json"))["stopped"]
    assert stopped["cause"] == CAUSE and sorted(stopped["trials"]) == [t.number for t in failed]

    # Run again without fixing it: trials start again, and the run stops after 3 more.
    second = snakemake(cwd)
    assert second.returncode != 0
    # Two lanes: the trial in flight may fail before the streak is checked, so the line may
    # count it too (4 in a row); it is said once either way.
    lines = re.findall(
        rf"sweep stopped: ([34]) trials in a row failed with the same cause: {re.escape(CAUSE)}",
        second.stderr,
    )
    assert len(lines) == 1, second.stderr[-4000:]
    failures = len(objective_failures(study_of(cwd)))
    assert 6 <= failures <= 7  # 3 more, and maybe the one in flight, failed as well

    # Fixed: the run finishes the budget. The failures the sweep stopped on did not use it up
    # (budget.count_failed: false): their slots run again with their parameters, and complete;
    # the failed trials stay in the study.
    third = snakemake(cwd, fixed=True)
    assert third.returncode == 0, third.stderr[-4000:]
    study = study_of(cwd)
    failed = objective_failures(study)
    not_counted = uncounted(study.user_attrs)
    assert len(failed) == failures and {t.number for t in failed} == not_counted
    counted = [
        t
        for t in study.trials
        if not t.system_attrs.get(Key.RETRYABLE) and t.number not in not_counted
    ]
    assert sorted(t.system_attrs[Key.SLOT] for t in counted) == list(range(10))
    assert all(t.state == TrialState.COMPLETE for t in counted)
    by_slot = {t.system_attrs[Key.SLOT]: t for t in counted}
    assert all(by_slot[t.system_attrs[Key.SLOT]].params == t.params for t in failed)
    assert "a re-run runs their slots again" not in status(cwd)


@pytest.mark.parametrize(
    "fails",
    [
        {"0": "A", "1": "A", "2": "B", "3": "A", "4": "A"},  # different causes
        {"0": "A", "1": "A", "3": "A", "4": "A"},  # a success in between resets the streak
    ],
    ids=["different-causes", "success-resets"],
)
def test_failures_that_are_not_in_a_row_with_one_cause_do_not_stop_the_sweep(
    tmp_path: Path, fails: dict[str, str]
) -> None:
    cwd = project(
        tmp_path,
        objective={"function": "support.streak_objectives:call_decides", "args": {"fails": fails}},
        budget={"n_trials": 5},
        parallelism=1,  # trials end in the order they are called
    )
    run = snakemake(cwd)
    assert "sweep stopped" not in run.stderr
    assert calls(cwd) == 5
    failed = objective_failures(study_of(cwd))
    assert len(failed) == len(fails)
    assert (cwd / "results" / "t" / "report.html").exists()
    if len(fails) == 5:  # no trial succeeded: the sweep ran its budget, and says so
        assert run.returncode != 0 and run.stderr.count(NO_SUCCESS) == 1, run.stderr[-4000:]
        assert "budget.n_trials (5) is spent" in run.stderr
    else:
        assert run.returncode == 0, run.stderr[-4000:]
        assert NO_SUCCESS not in run.stderr


def test_one_cause_whose_message_carries_numbers_stops_the_sweep(tmp_path: Path) -> None:
    # Each message names other sizes, its process id and the trial's x: one cause all the same.
    cwd = project(
        tmp_path,
        objective="support.streak_objectives:out_of_memory",
        budget={"n_trials": 8},
        parallelism=1,
    )
    run = snakemake(cwd)
    assert run.returncode != 0
    stop = re.search(
        r"sweep stopped: 3 trials in a row failed with the same cause: (.*) \(trials", run.stderr
    )
    assert stop is not None, run.stderr[-4000:]
    failed = objective_failures(study_of(cwd))
    assert len(failed) == 3 and len({t.user_attrs["fail_reason"] for t in failed}) == 3
    assert stop.group(1) == failed[-1].user_attrs["fail_reason"]  # a real message, as it was
    assert stop.group(1).startswith("RuntimeError: CUDA out of memory. Tried to allocate ")
    assert calls(cwd) == 3


def test_zero_disables_the_stop(tmp_path: Path) -> None:
    cwd = project(
        tmp_path,
        objective="support.streak_objectives:needs_missing_module",
        budget={"n_trials": 4, "max_consecutive_failures": 0},
    )
    run = snakemake(cwd)
    assert "sweep stopped" not in run.stderr
    assert len(objective_failures(study_of(cwd))) == 4
    # Not one trial succeeded: the report is written, then one line says so and where to look.
    assert run.returncode != 0
    lines = [line for line in run.stderr.splitlines() if line.startswith(NO_SUCCESS)]
    assert len(lines) == 1, run.stderr[-4000:]
    assert f"(4 failed, 0 pruned of 4 trial slots); all with {CAUSE};" in lines[0]
    assert "results/t/trials.csv (column user_attrs_fail_reason)" in lines[0]
    assert "budget.n_trials (4) is spent" in lines[0]
    assert (cwd / "results" / "t" / "report.html").exists()

    # A plain re-run starts no trial and says so again, instead of "nothing to be done".
    again = snakemake(cwd)
    assert again.returncode != 0 and again.stderr.count(NO_SUCCESS) == 1, again.stderr[-4000:]
    assert calls(cwd) == 4

    # Fixed, with a larger budget: the new slots run, and the sweep ends well.
    sweep = cwd / "config" / "sweeps" / "default.yaml"
    sweep.write_text(sweep.read_text().replace("n_trials: 4", "n_trials: 5"))
    fixed = snakemake(cwd, fixed=True)
    assert fixed.returncode == 0, fixed.stderr[-4000:]
    assert NO_SUCCESS not in fixed.stderr
    complete = [t for t in study_of(cwd).trials if t.state == TrialState.COMPLETE]
    assert len(complete) == 1 and calls(cwd) == 5
