"""The whole workflow through the real `snakemake` command, in a scratch directory."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from support.specs import base_spec
from support.workflow import objectives_env, start_snakemake, workflow_project

pytestmark = pytest.mark.e2e

SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def project(tmp: Path, **overrides: object) -> Path:
    """A copy of the workflow with a tiny sweep (6 trials, parallelism 2)."""
    settings: dict[str, object] = {
        "budget": {"n_trials": 6},
        "parallelism": 2,
        "pruner": {"name": "MedianPruner", "args": {"n_startup_trials": 2}},
    }
    sweep = base_spec(**{**settings, **overrides})
    return workflow_project(tmp, sweep)


def max_overlap(trials: list[optuna.trial.FrozenTrial]) -> int:
    """The most trials that were running at the same moment."""
    events = sorted(
        [(t.datetime_start, 1) for t in trials] + [(t.datetime_complete, -1) for t in trials],
        key=lambda event: (event[0], event[1]),
    )
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    return peak


def snakemake(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = objectives_env()
    cores = () if "--cores" in args else ("--cores", "2")
    return subprocess.run(
        [*SNAKEMAKE, *cores, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def load(cwd: Path) -> optuna.Study:
    return optuna.load_study(study_name="t", storage=f"sqlite:///{cwd}/results/t/study.db")


def started(cwd: Path) -> list[optuna.trial.FrozenTrial]:
    """The study's trials once the study rule has created it (polling earlier would race it)."""
    if not (cwd / "results" / "t" / "study.json").exists():
        return []
    return load(cwd).trials


def test_sweep_runs_reruns_nothing_and_repairs_one_slot(tmp_path: Path) -> None:
    cwd = project(tmp_path)
    first = snakemake(cwd, "--cores", "4")  # more cores than the sweep's parallelism (2)
    assert first.returncode == 0, first.stderr[-3000:]
    study = load(cwd)
    trials = study.trials
    assert len(trials) == 6
    assert max_overlap(trials) <= 2
    assert {t.state for t in trials} <= {TrialState.COMPLETE, TrialState.PRUNED}
    assert sum(t.state == TrialState.COMPLETE for t in trials) >= 2
    assert sorted(t.system_attrs["sweeps:slot"] for t in trials) == list(range(6))
    for t in trials:
        if t.state == TrialState.COMPLETE:
            assert t.value == pytest.approx((t.params["x"] - 2) ** 2)
    assert len({t.params["x"] for t in trials}) == 6  # parallel slots never duplicate
    results = cwd / "results" / "t"
    best = json.loads((results / "best.json").read_text())
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert best["best"][0]["values"][0] == pytest.approx(min(t.value for t in complete))
    assert (results / "trials.csv").read_text().count("\n") == 7
    assert "Optimization history" in (results / "report.html").read_text()
    assert "6/6 done" in first.stderr  # progress lines reach the terminal

    second = snakemake(cwd)
    assert second.returncode == 0
    assert "Nothing to be done" in second.stdout + second.stderr
    assert len(load(cwd).trials) == 6

    before = {t.number: (t.state, t.values, t.params) for t in load(cwd).trials}
    receipt = results / "trials" / "3.json"
    old = json.loads(receipt.read_text())
    receipt.unlink()
    third = snakemake(cwd, "--quiet", "reason")  # in place of the profile's: the job blocks
    assert third.returncode == 0, third.stderr[-3000:]
    log = third.stdout + third.stderr
    # slot 3 is in lane 1 of 2 (slots 1, 3, 5): that lane job alone re-runs; its finished
    # slots only rewrite their receipts
    assert re.findall(r"^(?:local)?rule (lane_\d+|trial):", log, re.MULTILINE) == ["lane_1"]
    assert json.loads(receipt.read_text()) == old
    after = {t.number: (t.state, t.values, t.params) for t in load(cwd).trials}
    assert after == before


def test_bad_sweep_file_fails_before_anything_runs(tmp_path: Path) -> None:
    cwd = project(tmp_path, parallelism=0)
    run = snakemake(cwd)
    assert run.returncode != 0
    assert "config/sweeps/default.yaml" in run.stderr
    assert "parallelism = 0" in run.stderr
    assert not (cwd / "results").exists()


def test_failing_trials_do_not_stop_the_sweep(tmp_path: Path) -> None:
    cwd = project(
        tmp_path,
        objective="support.objectives:misbehave",
        space={"mode": {"type": "categorical", "choices": ["ok", "raise", "nan"]}},
        sampler={"name": "GridSampler"},
        budget={"n_trials": 3},
        pruner=None,
    )
    run = snakemake(cwd)
    assert run.returncode == 0, run.stderr[-3000:]
    states = {t.params["mode"]: t.state for t in load(cwd).trials}
    assert states == {"ok": TrialState.COMPLETE, "raise": TrialState.FAIL, "nan": TrialState.FAIL}
    assert (cwd / "results" / "t" / "report.html").exists()


CONTROLLER_MODES = {
    "processes": (),
    "threads": ("--config", "controllers=threads", "--force-use-threads"),
}


def sleeping_project(tmp: Path, **budget: object) -> Path:
    """A sweep whose trials sleep ``$SWEEPS_TEST_SLEEP_S`` (60 s unless set) after a report."""
    return project(
        tmp,
        objective="support.objectives:misbehave",
        space={
            "mode": {"type": "categorical", "choices": ["sleep"]},
            "x": {"type": "float", "low": 0.0, "high": 1.0},
        },
        budget=budget,
        pruner=None,
    )


def wait_for_trials(cwd: Path, proc: subprocess.Popen[str], count: int = 2) -> None:
    """Until ``count`` trials run in their jobs (have reported)."""
    deadline = time.time() + 120
    while sum(bool(t.intermediate_values) for t in started(cwd)) < count:
        if time.time() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail(f"trials did not start:\n{proc.communicate()[0][-3000:]}")
        time.sleep(0.3)


def rerun_quickly(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The plain re-run, its trials sleeping no more."""
    os.environ["SWEEPS_TEST_SLEEP_S"] = "0"
    try:
        return snakemake(cwd, *args)
    finally:
        del os.environ["SWEEPS_TEST_SLEEP_S"]


@pytest.mark.parametrize("mode", sorted(CONTROLLER_MODES))
def test_ctrl_c_cancels_running_trials_and_a_rerun_completes_the_budget(
    tmp_path: Path, mode: str
) -> None:
    cwd = sleeping_project(tmp_path, n_trials=3)
    proc = start_snakemake(cwd, "--cores", "2", *CONTROLLER_MODES[mode])
    wait_for_trials(cwd, proc)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal signals the whole group
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "interrupted; cancelled job" in output
    trials = load(cwd).trials
    assert len(trials) >= 2
    assert all(t.state == TrialState.FAIL for t in trials)
    assert all(t.system_attrs.get("sweeps:retryable") for t in trials)
    for trial in trials:  # the trial jobs were cancelled, not left running
        pid = int(trial.user_attrs["job_id"])
        assert (
            not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
        )
    params = sorted(t.params["x"] for t in trials)

    rerun = rerun_quickly(cwd, *CONTROLLER_MODES[mode][:2])
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    final = [t for t in load(cwd).trials if not t.system_attrs.get("sweeps:retryable")]
    assert len(final) == 3 and all(t.state == TrialState.COMPLETE for t in final)
    retried = sorted(t.params["x"] for t in final if t.system_attrs["sweeps:attempt"] == 1)
    assert retried == params  # interrupted trials re-ran with their own parameters


@pytest.mark.parametrize(
    ("signum", "to_group", "mode"),
    [(signal.SIGTERM, False, "processes"), (signal.SIGHUP, True, "threads")],
    ids=["sigterm-to-snakemake", "sighup-to-the-group"],
)
def test_sigterm_and_sighup_stop_the_sweep_and_a_plain_rerun_completes_it(
    tmp_path: Path, signum: int, to_group: bool, mode: str
) -> None:
    """`kill PID` (SIGTERM: Snakemake would finish its running jobs, the lanes, which run
    the whole sweep) and a closed ssh session (SIGHUP to the group) stop the sweep as Ctrl-C
    does; the plain re-run (no --rerun-incomplete) completes the budget."""
    cwd = sleeping_project(tmp_path, n_trials=4)
    proc = start_snakemake(cwd, "--cores", "2", *CONTROLLER_MODES[mode])
    wait_for_trials(cwd, proc)
    if to_group:
        os.killpg(proc.pid, signum)
    else:
        os.kill(proc.pid, signum)
    output, _ = proc.communicate(timeout=60)  # trials sleep 60 s: a stop that waits fails
    assert proc.returncode != 0
    assert "interrupted; cancelled job" in output, output[-3000:]
    stopped = load(cwd).trials
    assert stopped and all(t.state == TrialState.FAIL for t in stopped)
    assert all(t.system_attrs.get("sweeps:retryable") for t in stopped)

    rerun = rerun_quickly(cwd, *CONTROLLER_MODES[mode][:2])
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    final = [t for t in load(cwd).trials if not t.system_attrs.get("sweeps:retryable")]
    assert sorted(t.system_attrs["sweeps:slot"] for t in final) == [0, 1, 2, 3]
    assert all(t.state == TrialState.COMPLETE for t in final)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_ctrl_c_to_a_background_snakemake_loses_no_trial(tmp_path: Path) -> None:
    """A script's background job ignores SIGINT (snakemake then goes on), but its trials get
    the group's Ctrl-C: each interrupted attempt is lost, not failed, and runs again."""
    cwd = sleeping_project(tmp_path, n_trials=3, max_retries=1)
    env = {**objectives_env(), "SWEEPS_TEST_SLEEP_S": "4"}
    # as bash starts `snakemake ... &` in a script: SIGINT ignored
    proc = start_snakemake(cwd, "--cores", "2", env=env, preexec_fn=_ignore_sigint)
    wait_for_trials(cwd, proc)
    os.killpg(proc.pid, signal.SIGINT)
    output, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, output[-3000:]
    trials = load(cwd).trials
    final = [t for t in trials if not t.system_attrs.get("sweeps:retryable")]
    assert len(final) == 3 and all(t.state == TrialState.COMPLETE for t in final), output[-3000:]
    lost = [t for t in trials if t.system_attrs.get("sweeps:retryable")]
    assert lost and all("from outside" in t.user_attrs["fail_reason"] for t in lost)
    assert not any("killed by signal 2" in str(t.user_attrs.get("fail_reason")) for t in final)
    rerun = snakemake(cwd)
    assert rerun.returncode == 0 and len(load(cwd).trials) == len(trials)  # nothing left to do
