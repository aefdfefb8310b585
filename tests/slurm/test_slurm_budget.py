"""Budgets on the real test cluster: its fake GPUs make billed GPU-hours measurable (trials of
known length x GPUs), billed by the LUMI profile's rule."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from optuna.trial import TrialState
from support.slurm import sleep_sweep, squeue_ids, start, sweeps_env, trials
from support.specs import REPO
from support.workflow import workflow_project

from sweeps.spec.facts import BILLED_GPU_HOURS, BILLING_RULE
from sweeps.spec.sites import read_site
from sweeps.study.keys import Key

pytestmark = [pytest.mark.slurm, pytest.mark.e2e, pytest.mark.usefixtures("slurm_cluster")]

LUMI_BILLING = read_site(REPO / "profiles" / "lumi" / "site.yaml")["dispatch"]["slurm"]["billing"]


def budget_sweep(study: str, seconds: float, budget: dict[str, object], parallelism: int):  # type: ignore[no-untyped-def]
    """Trials that sleep ``seconds`` on 8 GCDs of small-g, one process each (4 GPU-hours per
    hour by LUMI's rule)."""
    return sleep_sweep(
        study,
        seconds,
        budget={"n_trials": 6, "max_retries": 0, **budget},
        parallelism=parallelism,
        pruner=None,
        resources={"gpus": 8, "tasks_per_node": 1, "time_min": 3, "mem_gb": 0.5},
        dispatch={
            "executor": "slurm",
            "slurm": {
                "partition": "small-g",
                "status_interval_s": 1.0,
                "array_window_s": 0,
                "billing": LUMI_BILLING,
            },
        },
    )


def run(cwd: Path, study: str, succeeds: bool = True) -> str:
    """Run the sweep to its end: ``succeeds``, a trial completed (else snakemake exits 1)."""
    proc = start(cwd, "--cores", "2", env=sweeps_env())
    output, _ = proc.communicate(timeout=500)
    assert (proc.returncode == 0) == succeeds, output[-4000:]
    deadline = time.monotonic() + 30
    while squeue_ids(f"sweeps-{study}", "PENDING,RUNNING") and time.monotonic() < deadline:
        time.sleep(1)
    assert not squeue_ids(f"sweeps-{study}", "PENDING,RUNNING")
    return output


def test_max_gpu_hours_stops_the_sweep_within_one_trials_cost(tmp_path: Path) -> None:
    study = "budget-hours"
    limit = 0.02  # a 7 s trial on 8 GCDs bills about 0.01 GPU-hours: two to four trials
    cwd = workflow_project(tmp_path, budget_sweep(study, 7, {"max_billed_gpu_hours": limit}, 1))
    output = run(cwd, study)
    assert output.count("sweep ended: budget max_billed_gpu_hours:") == 1, output[-4000:]
    ran = trials(cwd, study)
    assert ran and all(t.state == TrialState.COMPLETE for t in ran)
    assert len(ran) < 6  # the budget, not n_trials, ended the sweep
    for trial in ran:  # billed by the LUMI rule: 8 GCDs x 0.5 x the job's elapsed hours
        attrs = trial.user_attrs
        expected = round(8 * 0.5 * attrs["slurm.elapsed_s"] / 3600, 6)
        assert attrs[BILLED_GPU_HOURS.key] == pytest.approx(expected)
        assert attrs[BILLING_RULE.key] == "gpu_share: 8 GPU(s) x 0.5 x hours"
    billed = [t.user_attrs[BILLED_GPU_HOURS.key] for t in sorted(ran, key=lambda t: t.number)]
    assert sum(billed) >= limit
    assert sum(billed[:-1]) < limit  # it stopped at the first trial that reached the budget
    receipts = sorted((cwd / "results" / study / "trials").glob("*.json"))
    assert len(receipts) == 6
    assert sum('"NOT_RUN"' in r.read_text() for r in receipts) == 6 - len(ran)
    assert Key.BUDGET_SPENT in trials_study_attrs(cwd, study)


def test_deadline_with_cancel_ends_the_trials_in_flight(tmp_path: Path) -> None:
    study = "budget-deadline"
    budget = {"deadline": "25s", "on_exhausted": "cancel"}
    cwd = workflow_project(tmp_path, budget_sweep(study, 300, budget, 1))
    output = run(cwd, study, succeeds=False)  # every trial was cancelled: none succeeded
    assert output.count("sweep ended: budget deadline:") == 1, output[-4000:]
    assert re.search(r"budget deadline: [\d.]+ s of 25 s spent, 0 s left", output)
    assert "trials in flight are cancelled" in output
    assert f"sweeps: no trial of sweep '{study}' succeeded" in output
    ran = trials(cwd, study)
    first = min(t.datetime_start for t in ran if t.datetime_start)
    assert all(t.datetime_start <= first + timedelta(seconds=25) for t in ran)  # none after
    assert all(t.state == TrialState.FAIL and t.system_attrs.get(Key.RETRYABLE) for t in ran)
    assert all("cancelled: budget deadline spent" in t.user_attrs["fail_reason"] for t in ran)
    assert all(t.datetime_complete <= first + timedelta(seconds=90) for t in ran)  # type: ignore[operator]


def trials_study_attrs(cwd: Path, study: str) -> dict[str, object]:
    import optuna

    storage = f"sqlite:///{cwd}/results/{study}/study.db"
    return optuna.load_study(study_name=study, storage=storage).user_attrs
