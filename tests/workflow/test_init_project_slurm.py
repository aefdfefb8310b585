"""A ``sweeps init`` project on the Slurm test cluster with the installed lumi profile, in
job mode and with warm workers: the user's own ``train.py`` is imported by the trial jobs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
import yaml
from support.workflow import package_env, run_snakemake

from sweeps.cli import main

pytestmark = [pytest.mark.slurm, pytest.mark.e2e]

OVERRIDE = ("--config", "site_overrides=small.yaml")


@pytest.fixture
def lumi_project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A new project, the lumi profile installed for it, and the environment to run it."""
    if shutil.which("sinfo") is None:
        pytest.skip("no Slurm on this machine (sinfo not found): bash tests/slurm/cluster.sh up")
    assert main(["init", str(tmp_path / "proj")]) == 0
    env = package_env(XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    env["SBATCH_ACCOUNT"] = "sweeps"
    subprocess.run([sys.executable, "-m", "sweeps", "profiles", "install"], env=env, check=True)
    # No Singularity here: a stand-in `singularity exec IMAGE CMD...` that runs CMD (a mock).
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "singularity").write_text('#!/bin/sh\n[ "$1" = exec ] && shift 2\nexec "$@"\n')
    (fake / "singularity").chmod(0o755)
    env["PATH"] = f"{fake}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["SIF"] = "/appl/containers/torch.sif"
    return tmp_path / "proj", env


def run_lumi(proj: Path, env: dict[str, str], overrides: dict[str, object]) -> list:
    # The test node has 2 CPUs and 8 GB: shrink LUMI's allocation (and the sweep) for the test.
    small = {
        "budget": {"n_trials": 4},
        "resources": {"cpus": 1, "time_min": 3},
        "dispatch": {"slurm": {"cpus_per_task": 1, "mem_per_gpu": "500M"}, **overrides},
    }
    (proj / "small.yaml").write_text(yaml.safe_dump(small))
    done = run_snakemake(proj, "--profile", "lumi", *OVERRIDE, env=env, timeout=400)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-4000:]
    storage = f"sqlite:///{proj}/results/example/study.db"
    return optuna.load_study(study_name="example", storage=storage).trials


def test_a_new_project_runs_its_trials_as_slurm_jobs(
    lumi_project: tuple[Path, dict[str, str]],
) -> None:
    proj, env = lumi_project
    trials = run_lumi(proj, env, {})
    assert len(trials) == 4
    assert all(t.state.is_finished() for t in trials)
    assert sum(t.state == optuna.trial.TrialState.COMPLETE for t in trials) >= 2
    assert {t.user_attrs["slurm.partition"] for t in trials} == {"small-g"}
    assert len({t.system_attrs["sweeps:job_id"] for t in trials}) == 4  # a job per trial


def test_a_new_project_runs_its_trials_on_warm_workers(
    lumi_project: tuple[Path, dict[str, str]],
) -> None:
    proj, env = lumi_project
    warm = {"mode": "warm", "warm": {"workers": 1, "time_min": 5, "heartbeat_s": 1}}
    trials = run_lumi(proj, env, warm)
    assert len(trials) == 4
    assert all(t.state.is_finished() for t in trials)
    assert sum(t.state == optuna.trial.TrialState.COMPLETE for t in trials) >= 2
    assert len({t.user_attrs["slurm.job_id"] for t in trials}) == 1  # one worker ran them all
