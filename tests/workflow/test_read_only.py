"""Commands that report never write: `snakemake -n`, `sweeps status`, `sweeps report
--dry-run`, in every state of a sweep (fresh, interrupted, stopped on its budget). Each is
checked against a checksum of every file of the sweep's results, its study included
(Snakemake's own bookkeeping under .snakemake/ is Snakemake's)."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from support.specs import base_spec
from support.workflow import objectives_env, run_snakemake, workflow_project

pytestmark = pytest.mark.e2e

SPEC = "config/sweeps/default.yaml"
REPORTS = [
    [sys.executable, "-m", "snakemake", "-n", "--cores", "2"],
    [sys.executable, "-m", "snakemake", "--dry-run", "--cores", "2", "--config", "force=true"],
    [sys.executable, "-m", "sweeps", "status", "--spec", SPEC],
    [sys.executable, "-m", "sweeps", "report", "--spec", SPEC, "--dry-run"],
]


def checksums(root: Path) -> dict[str, str]:
    """Every file under ``root`` with its content's hash (directories by their presence)."""
    sums: dict[str, str] = {}
    if not root.exists():
        return sums
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        sums[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
    return sums


def assert_reports_write_nothing(cwd: Path) -> None:
    results = cwd / "results"
    before = checksums(results)
    for command in REPORTS:
        subprocess.run(command, cwd=cwd, env=objectives_env(), capture_output=True, timeout=300)
        after = checksums(results)
        changed = sorted(set(before.items()) ^ set(after.items()))
        assert not changed, f"{' '.join(command[2:])} wrote: {changed}"


def started(cwd: Path) -> list[optuna.trial.FrozenTrial]:
    if not (cwd / "results" / "t" / "study.json").exists():
        return []
    return optuna.load_study(study_name="t", storage=f"sqlite:///{cwd}/results/t/study.db").trials


def sweep(tmp: Path, **budget: object) -> Path:
    spec = base_spec(budget={"n_trials": 2, **budget}, pruner=None)
    return workflow_project(tmp, spec)


def test_reports_write_nothing_in_a_fresh_project(tmp_path: Path) -> None:
    assert_reports_write_nothing(sweep(tmp_path))


def test_reports_write_nothing_after_a_sweep_stopped_on_its_budget(tmp_path: Path) -> None:
    cwd = sweep(tmp_path, n_trials=3, deadline="1s")  # slots left when the deadline passes
    run_snakemake(cwd, "--cores", "1")
    assert (cwd / "results" / "t" / "not-run").is_dir(), "the budget ended no slot"
    assert_reports_write_nothing(cwd)


def test_reports_write_nothing_after_an_interrupted_sweep(tmp_path: Path) -> None:
    spec = base_spec(
        objective="support.objectives:misbehave",
        space={"mode": {"type": "categorical", "choices": ["sleep"]}},
        budget={"n_trials": 2},
        pruner=None,
    )
    cwd = workflow_project(tmp_path, spec)
    env = {**objectives_env(), "SWEEPS_TEST_SLEEP_S": "60"}
    command = [sys.executable, "-m", "snakemake", "--cores", "2"]
    proc = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    deadline = time.time() + 120
    while not any(t.intermediate_values for t in started(cwd)):
        assert time.time() < deadline, "no trial started"
        time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)  # stops the sweep, its trials left to retry
    assert proc.wait(timeout=60) != 0
    assert_reports_write_nothing(cwd)
