"""The workflow on the real test cluster: an installed profile by name, a killed snakemake
re-run without losing or duplicating trials, and Ctrl-C cancelling (or keeping) the jobs."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from optuna.trial import TrialState
from support.slurm import running, sleep_sweep, squeue_ids, start, sweeps_env, trials
from support.specs import REPO, base_spec
from support.workflow import workflow_project

pytestmark = [pytest.mark.slurm, pytest.mark.e2e, pytest.mark.usefixtures("slurm_cluster")]


def project(tmp: Path, study: str, seconds: float, **overrides: Any) -> Path:
    """A copy of the workflow whose default sweep runs trials of ``seconds`` on Slurm."""
    sweep = sleep_sweep(
        study,
        seconds,
        resources={"time_min": 2, "mem_gb": 0.5},
        dispatch={
            "executor": "slurm",
            "slurm": {"partition": "small-g", "status_interval_s": 1.0, **overrides},
        },
    )
    return workflow_project(tmp, sweep)


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    proc = start(cwd, *args, env=env)
    output, _ = proc.communicate(timeout=400)
    return proc.returncode, output


def test_installed_lumi_profile_runs_two_node_trials_of_four_ranks(tmp_path: Path) -> None:
    """`snakemake --profile lumi` with 2-node x 2-GCD trials: the sweep's resources win over
    the site's defaults, each trial is one job of 4 ranks on 2 nodes (a torch all-reduce
    across them), each rank bound to its own GCD and the cores LUMI lists nearest it."""
    sweep = base_spec(
        study="lumi",
        objective={"function": "support.objectives:all_reduce", "args": {"steps": 2}},
        space={"x": {"type": "float", "low": 0.0, "high": 1.0}},
        budget={"n_trials": 2, "max_retries": 0},
        resources={"time_min": 3, "nodes": 2, "gpus": 2, "cpus": 1},
        dispatch={"executor": "slurm", "slurm": {"status_interval_s": 1.0}},
    )
    cwd = workflow_project(tmp_path, sweep)
    env = sweeps_env()
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    installed = subprocess.run(
        [sys.executable, "-m", "sweeps", "profiles", "install"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert (tmp_path / "xdg" / "snakemake" / "lumi" / "config.yaml").is_file(), installed.stdout
    # No Singularity here: a stand-in `singularity exec IMAGE CMD...` that runs CMD (a mock).
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "singularity").write_text('#!/bin/sh\n[ "$1" = exec ] && shift 2\nexec "$@"\n')
    (fake / "singularity").chmod(0o755)
    env["PATH"] = f"{fake}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["SIF"] = "/appl/containers/torch.sif"
    without_account = {k: v for k, v in env.items() if k != "SBATCH_ACCOUNT"}
    code, output = run(cwd, "--profile", "lumi", env=without_account)
    assert code != 0
    assert "dispatch.slurm.account" in output
    assert not (cwd / "results" / "lumi" / "jobs").exists()  # nothing was submitted

    env["SBATCH_ACCOUNT"] = "sweeps"
    code, output = run(cwd, "--profile", "lumi", env=env)
    assert code == 0, output[-4000:]
    ended = trials(cwd, "lumi")
    assert len(ended) == 2
    assert all(t.state == TrialState.COMPLETE for t in ended), [t.user_attrs for t in ended]
    for trial in ended:
        attrs = trial.user_attrs
        assert trial.value == pytest.approx(10 * trial.params["x"])  # 1+2+3+4 over 4 ranks
        assert attrs["slurm.partition"] == "small-g"
        assert attrs["slurm.gpus"] == 4  # the sweep's 2 per node, not the site's 1
        assert attrs["world_size"] == 4
        ranks = attrs["ranks"]
        assert [r["rank"] for r in ranks] == [0, 1, 2, 3]
        assert len(attrs["trial_nodes"]) == 2
        by_node: dict[str, list[dict[str, Any]]] = {}
        for rank in ranks:
            by_node.setdefault(rank["node"], []).append(rank)
        assert sorted(len(r) for r in by_node.values()) == [2, 2], ranks
        for node_ranks in by_node.values():
            gpus = [r["gpus"] for r in node_ranks]
            assert len(set(gpus)) == 2 and all(g.isdigit() for g in gpus), ranks
            lumi_cores = {"0": "49-55", "1": "57-63", "2": "17-23", "3": "25-31"}
            assert all(r["cpus"] == lumi_cores[r["gpus"]] for r in node_ranks), ranks
    # Threaded controllers (the profile's) submit the trials that start together as one array.
    job_ids = {t.system_attrs["sweeps:job_id"] for t in ended}
    sbatches = {job_id.partition("_")[0] for job_id in job_ids}
    assert len(job_ids) == 2 and len(sbatches) == 1, job_ids
    scripts = list((cwd / "results" / "lumi" / "jobs").glob("*/*_submission.sh"))
    assert {script.parent.name for script in scripts} == sbatches
    script = scripts[0].read_text()
    for flag in (
        "--account=sweeps",
        "--nodes=2",
        "--ntasks-per-node=2",
        "--gpus-per-node=2",
        "--cpus-per-task=7",
        "--mem-per-gpu=60G",
        "small-g",
    ):
        assert flag in script
    assert "singularity exec ${SIF:?" in script
    assert "MIOPEN_USER_DB_PATH" in script
    assert "wckey" not in script


def test_killed_snakemake_reruns_without_losing_or_duplicating_trials(tmp_path: Path) -> None:
    cwd = project(tmp_path, "killed", seconds=8)
    first = start(cwd, "--cores", "2")
    running(first, "sweeps-killed")
    time.sleep(2)
    os.killpg(first.pid, signal.SIGKILL)  # snakemake and every controller it started
    first.wait()
    alive = squeue_ids("sweeps-killed")
    assert alive, "the trial jobs outlive their controllers"
    assert run(cwd, "--unlock")[0] == 0  # a killed snakemake leaves its lock behind
    code, output = run(cwd, "--cores", "2", "--rerun-incomplete")
    assert code == 0, output[-4000:]
    assert "re-attaches to job" in output
    ended = trials(cwd, "killed")
    slots = sorted(t.system_attrs["sweeps:slot"] for t in ended)
    assert slots == list(range(4))  # n_trials is a total: none lost, none duplicated
    assert all(t.state == TrialState.COMPLETE for t in ended)
    assert set(alive) <= {t.system_attrs["sweeps:job_id"] for t in ended}


def test_ctrl_c_cancels_the_sweeps_jobs(tmp_path: Path) -> None:
    cwd = project(tmp_path, "interrupted", seconds=120)
    proc = start(cwd, "--cores", "2")
    job_id = running(proc, "sweeps-interrupted")
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
    output, _ = proc.communicate(timeout=120)
    assert f"cancelled job {job_id}" in output
    deadline = time.monotonic() + 30
    while squeue_ids("sweeps-interrupted", "PENDING,RUNNING") and time.monotonic() < deadline:
        time.sleep(1)
    assert not squeue_ids("sweeps-interrupted", "PENDING,RUNNING")


def test_ctrl_c_cancels_each_array_task_with_threaded_controllers(tmp_path: Path) -> None:
    cwd = project(tmp_path, "interrupted-array", seconds=120)
    threads = ("--config", "controllers=threads", "--force-use-threads")
    proc = start(cwd, "--cores", "2", *threads)
    running(proc, "sweeps-interrupted-array")
    job_ids = sorted(squeue_ids("sweeps-interrupted-array", "RUNNING"))
    assert all("_" in job_id for job_id in job_ids), job_ids  # tasks of one array
    os.killpg(proc.pid, signal.SIGINT)
    output, _ = proc.communicate(timeout=120)
    for job_id in job_ids:  # each controller cancels its own task
        assert f"cancelled job {job_id}" in output, output[-4000:]
    deadline = time.monotonic() + 30
    while squeue_ids("sweeps-interrupted-array", "PENDING,RUNNING") and time.monotonic() < deadline:
        time.sleep(1)
    assert not squeue_ids("sweeps-interrupted-array", "PENDING,RUNNING")


def test_ctrl_c_with_on_interrupt_keep_leaves_jobs_to_re_attach(tmp_path: Path) -> None:
    cwd = project(tmp_path, "kept", seconds=10, on_interrupt="keep")
    proc = start(cwd, "--cores", "2")
    job_id = running(proc, "sweeps-kept")
    os.killpg(proc.pid, signal.SIGINT)
    output, _ = proc.communicate(timeout=120)
    assert f"job {job_id} left running" in output
    assert job_id in squeue_ids("sweeps-kept")
    code, output = run(cwd, "--cores", "2", "--rerun-incomplete")
    assert code == 0, output[-4000:]
    ended = trials(cwd, "kept")
    assert len(ended) == 4
    assert all(t.state == TrialState.COMPLETE for t in ended)
    assert job_id in {t.system_attrs["sweeps:job_id"] for t in ended}


def test_default_sweep_trials_run_as_slurm_gpu_jobs(tmp_path: Path) -> None:
    """The shipped default sweep (torch MLP on digits), smaller, as Slurm jobs with a GPU each."""
    shutil.copy(REPO / "Snakefile", tmp_path / "Snakefile")
    shutil.copytree(REPO / "workflow", tmp_path / "workflow")
    shutil.copytree(REPO / "config", tmp_path / "config")
    site = {
        "budget": {"n_trials": 4},
        "objective": {"args": {"epochs": 3}},
        "resources": {"gpus": 1, "cpus": 1, "mem_gb": 1, "time_min": 5},
        "dispatch": {
            "executor": "slurm",
            "slurm": {"partition": "small-g", "gpus_per_node": 1, "status_interval_s": 1.0},
        },
    }
    (tmp_path / "slurm.yaml").write_text(yaml.safe_dump(site))
    code, output = run(tmp_path, "--cores", "2", "--config", "site=slurm.yaml")
    assert code == 0, output[-4000:]
    ended = trials(tmp_path, "digits-mlp")
    assert len(ended) == 4
    assert {t.state for t in ended} <= {TrialState.COMPLETE, TrialState.PRUNED}
    assert all(t.user_attrs["executor"] == "slurm" for t in ended)
    assert {t.user_attrs["slurm.gpus"] for t in ended} == {1}
    assert all(t.user_attrs["slurm.state"] in ("COMPLETED", "COMPLETING") for t in ended)
    complete = [t for t in ended if t.state == TrialState.COMPLETE]
    assert complete and all(0.0 < t.value <= 1.0 for t in complete)
    assert (tmp_path / "results" / "digits-mlp" / "report.html").exists()
