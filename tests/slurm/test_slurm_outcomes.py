"""How Slurm ends a trial's job, mapped to the trial, on the real test cluster.

The scenarios run concurrently (each slot is its own controller process, as under Snakemake);
the tests then read each scenario's study.
"""

from __future__ import annotations

import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.trial import FrozenTrial, TrialState
from support.controllers import exited_controller
from support.slurm import slurm_sweep, start_slot, wait_for_job

from sweeps.controller.slot import run_slot
from sweeps.storage.optuna_internals import storage_of, trial_id_of
from sweeps.study import prepare_study
from sweeps.study.keys import Key
from sweeps.study.slots import create_slot_trial

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]

SCENARIOS: dict[str, dict[str, Any]] = {
    "ok": {"mode": "ok", "seconds": 1},
    "crashed": {"mode": "crash"},
    "oom": {"mode": "hog", "resources": {"mem_gb": 0.25}},
    # Cancelled by a user: a lost attempt (no retry left here; the fault soak sees it retried).
    "cancel": {"mode": "ok", "seconds": 300, "budget": {"n_trials": 1, "max_retries": 0}},
    # Requeued by Slurm while running (as after a node failure): resumes from its checkpoint.
    "requeue": {"mode": "steps", "seconds": 12},
    # Signalled before its limit without a checkpoint: a lost, retryable attempt.
    "timeout": {
        "mode": "ok",
        "seconds": 300,
        "resources": {"time_min": 1},
        "budget": {"n_trials": 1, "max_retries": 0},
    },
}


@pytest.fixture(scope="module")
def ended(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[FrozenTrial]]:
    """Run every scenario's slot at once; return each scenario's trials."""
    workdir = tmp_path_factory.mktemp("outcomes")
    specs = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(workdir)
        for name, settings in SCENARIOS.items():
            path, spec = slurm_sweep(workdir, name, **dict(settings))
            prepare_study(spec)
            specs[name] = (path, spec)
    procs = {name: start_slot(workdir, path) for name, (path, _) in specs.items()}
    with ThreadPoolExecutor(2) as pool:  # the jobs start in any order: act on each when it runs
        acts = [pool.submit(cancel_when_running, "sweeps-cancel"), pool.submit(requeue_once)]
        for name, proc in procs.items():
            output, _ = proc.communicate(timeout=400)
            assert proc.returncode == 0, f"{name}: {output}"
        for act in acts:
            act.result()
    return {
        name: optuna.load_study(
            study_name=name, storage=f"sqlite:///{workdir}/results/{name}/study.db"
        ).trials
        for name in SCENARIOS
    }


def cancel_when_running(name: str) -> None:
    subprocess.run(["scancel", wait_for_job(name, timeout_s=300)], check=True)


def requeue_once(name: str = "sweeps-requeue") -> None:
    """Requeue the running job ``name`` a few seconds in, and let it start again at once."""
    job_id = wait_for_job(name, timeout_s=300)
    time.sleep(4)
    subprocess.run(["scontrol", "requeue", job_id], check=True)
    wait_for_job(name, "PENDING")
    # Slurm holds a requeued job back for about two minutes; a user may start it at once.
    subprocess.run(["scontrol", "update", f"jobid={job_id}", "StartTime=now"], check=True)


def test_completed_job_is_told_with_slurm_facts(ended: dict[str, list[FrozenTrial]]) -> None:
    [trial] = ended["ok"]
    assert trial.state == TrialState.COMPLETE
    assert trial.value == pytest.approx(trial.params["x"])
    facts = trial.user_attrs
    assert facts["slurm.state"] in {"COMPLETED", "COMPLETING"}  # COMPLETING: still ending
    assert facts["slurm.job_id"] == trial.system_attrs["sweeps:job_id"] == facts["job_id"]
    assert facts["slurm.partition"] == "small-g"
    assert re.fullmatch(r"nid00[1-4]", facts["slurm.node"]), facts["slurm.node"]
    assert facts["slurm.gpus"] == 1
    assert facts["slurm.requeues"] == 0
    assert facts["slurm.queue_wait_s"] >= 0
    assert facts["slurm.allocated_gpu_hours"] == pytest.approx(
        facts["slurm.elapsed_s"] / 3600, abs=1e-5
    )


def test_failed_job_fails_the_trial_with_its_log_tail(ended: dict[str, list[FrozenTrial]]) -> None:
    [trial] = ended["crashed"]  # the job crashed without a result: not retried
    assert trial.state == TrialState.FAIL
    assert trial.user_attrs["slurm.state"] == "FAILED"
    assert "ended FAILED" in trial.user_attrs["fail_reason"]
    assert "about to die on purpose" in trial.user_attrs["traceback"]
    assert not trial.system_attrs.get(Key.RETRYABLE)


def test_out_of_memory_fails_with_that_reason(ended: dict[str, list[FrozenTrial]]) -> None:
    [trial] = ended["oom"]
    assert trial.state == TrialState.FAIL
    assert trial.user_attrs["fail_reason"].startswith("out of memory")
    assert not trial.system_attrs.get(Key.RETRYABLE)


def test_cancelled_by_a_user_is_a_lost_attempt(ended: dict[str, list[FrozenTrial]]) -> None:
    [trial] = ended["cancel"]
    assert trial.state == TrialState.FAIL  # max_retries: 0
    assert trial.user_attrs["slurm.state"] == "CANCELLED"
    assert "cancelled outside the sweep" in trial.user_attrs["fail_reason"]
    assert trial.system_attrs.get(Key.RETRYABLE)


def test_requeued_job_resumes_from_its_checkpoint(ended: dict[str, list[FrozenTrial]]) -> None:
    [trial] = ended["requeue"]  # the same job and trial, run twice
    assert trial.state == TrialState.COMPLETE
    assert trial.user_attrs["slurm.requeues"] == 1
    assert trial.user_attrs["slurm.state"] in {"COMPLETED", "COMPLETING"}
    assert sorted(trial.intermediate_values) == list(range(12))  # no step reported twice
    assert trial.user_attrs["last_step"] == 11


def test_time_limit_without_checkpoint_is_a_lost_attempt(
    ended: dict[str, list[FrozenTrial]],
) -> None:
    [trial] = ended["timeout"]  # max_retries: 0, so the lost attempt is final
    assert trial.state == TrialState.FAIL
    assert "time limit" in trial.user_attrs["fail_reason"]
    assert trial.system_attrs.get(Key.RETRYABLE)


def test_preempted_job_is_retried_from_its_checkpoint(workdir: Path) -> None:
    path, spec = slurm_sweep(workdir, "preempt", mode="steps", seconds=12)
    prepare_study(spec)
    proc = start_slot(workdir, path)
    wait_for_job("sweeps-preempt")
    time.sleep(4)  # a few checkpointed steps
    # every node, whole: the small-g job must make way
    blocker = ["sbatch", "-p", "standard-g", "-N", "4", "--mem=100M", "-o", "/dev/null"]
    subprocess.run([*blocker, "-J", "preemptor", "--wrap", "sleep 1"], check=True)
    output, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, output
    first, second = optuna.load_study(study_name="preempt", storage=spec.storage_url).trials
    assert first.state == TrialState.FAIL
    assert "PREEMPTED" in first.user_attrs["fail_reason"]
    assert first.system_attrs[Key.RETRYABLE]
    assert second.state == TrialState.COMPLETE
    assert second.params == first.params
    resumed = workdir / "results" / "preempt" / "checkpoints" / "slot-0" / "resumed"
    assert int(resumed.read_text()) >= 2


def test_vanished_job_is_detected_quickly(workdir: Path) -> None:
    _, spec = slurm_sweep(
        workdir,
        "vanish",
        budget={"n_trials": 1, "max_retries": 0},
        slurm={"vanished_after_s": 5},
    )
    study = prepare_study(spec)
    trial = create_slot_trial(study, 0, 0)
    trial.suggest_float("x", 0.0, 1.0)
    storage_of(study).set_trial_system_attr(trial_id_of(trial), Key.JOB_ID, "987654321")
    storage_of(study).set_trial_system_attr(trial_id_of(trial), Key.CONTROLLER, exited_controller())
    started = time.monotonic()
    receipt = run_slot(spec, 0, workdir / "r.json")
    assert time.monotonic() - started < 30
    assert receipt.state == "FAIL"
    [lost] = optuna.load_study(study_name="vanish", storage=spec.storage_url).trials
    assert "vanished" in lost.user_attrs["fail_reason"]
    assert lost.system_attrs[Key.RETRYABLE]
    assert type(spec.dispatch.slurm).model_fields["vanished_after_s"].default <= 60
