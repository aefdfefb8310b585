"""A trial whose controller went silent but whose Slurm job still runs is left for its slot's
next run to re-attach to, not failed as stale; once the job has ended, it is failed."""

from __future__ import annotations

import subprocess
import time

import pytest
from optuna.trial import TrialState
from support.slurm import slurm_sweep

from sweeps.run.strategies import strategy_for
from sweeps.storage.optuna_internals import storage_of, trial_id_of
from sweeps.study import prepare_study
from sweeps.study.keys import Key
from sweeps.study.slots import create_slot_trial
from sweeps.study.stale import fail_stale_trials

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]


def test_a_stale_trial_whose_job_still_runs_is_kept(workdir) -> None:  # type: ignore[no-untyped-def]
    _, spec = slurm_sweep(workdir, "stalejob")
    study = prepare_study(spec)
    trial = create_slot_trial(study, slot=0, attempt=0)
    job_id = subprocess.run(
        ["sbatch", "--parsable", "-p", "small-g", "-J", "sweeps-stalejob", "--wrap", "sleep 300"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    storage = storage_of(study)
    storage.set_trial_system_attr(trial_id_of(trial), Key.JOB_ID, job_id)
    storage.set_trial_system_attr(trial_id_of(trial), Key.CONTROLLER_HEARTBEAT, time.time() - 600)

    def sweep() -> list[int]:
        return fail_stale_trials(
            study, grace_s=60, still_running=lambda t: strategy_for(spec).still_running(spec, t)
        )

    try:
        assert sweep() == []  # queued or running: its slot will re-attach
        assert storage.get_trial(trial_id_of(trial)).state == TrialState.RUNNING
    finally:
        subprocess.run(["scancel", job_id], check=False)
    deadline = time.monotonic() + 30
    while strategy_for(spec).still_running(spec, storage.get_trial(trial_id_of(trial))):
        assert time.monotonic() < deadline, "the cancelled job never ended in sacct"
        time.sleep(1)
    assert sweep() == [trial.number]
