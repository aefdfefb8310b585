"""Helpers for the Slurm tests: one-slot sweeps on the test cluster, controller processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import optuna
import yaml

from support.specs import REPO, base_spec
from support.workflow import start_snakemake
from sweeps.spec import SweepSpec, load_spec


def slurm_sweep(
    workdir: Path, study: str, mode: str = "ok", seconds: float = 0, **overrides: Any
) -> tuple[Path, SweepSpec]:
    """A one-slot sweep of ``support.slurm_objectives:behave`` dispatched to the test cluster."""
    slurm = {"partition": "small-g", "gpus_per_node": 1, "status_interval_s": 1.0}
    slurm.update(overrides.pop("slurm", {}))
    data = base_spec(
        study=study,
        objective={
            "function": "support.slurm_objectives:behave",
            "args": {"mode": mode, "seconds": seconds},
        },
        space={"x": {"type": "float", "low": 0.0, "high": 1.0}},
        budget=overrides.pop("budget", {"n_trials": 1, "max_retries": 1}),
        resources={"time_min": 2, "mem_gb": 0.5, **overrides.pop("resources", {})},
        dispatch={"executor": "slurm", "slurm": slurm},
        **overrides,
    )
    path = workdir / f"{study}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path, load_spec(path)


def sleep_sweep(study: str, seconds: float, **overrides: Any) -> dict[str, Any]:
    """A sweep (as a mapping) whose trials sleep ``seconds`` in ``support.slurm_objectives``."""
    return base_spec(
        study=study,
        objective={
            "function": "support.slurm_objectives:behave",
            "args": {"mode": "ok", "seconds": seconds},
        },
        space={"x": {"type": "float", "low": 0.0, "high": 1.0}},
        **overrides,
    )


def sweeps_env() -> dict[str, str]:
    """The environment of a controller subprocess (finds tests/support through PYTHONPATH)."""
    path = os.pathsep.join(p for p in (str(REPO / "tests"), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path}


def start_slot(workdir: Path, spec_path: Path, slot: int = 0) -> subprocess.Popen[str]:
    """Run ``sweeps trial`` for one slot as its own process (like a Snakemake job)."""
    name = spec_path.stem
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "sweeps", "trial", "--spec", str(spec_path)),
            *("--slot", str(slot), "--receipt", str(workdir / f"{name}-{slot}.json")),
        ],
        cwd=workdir,
        env=sweeps_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def squeue_ids(name: str, state: str = "") -> list[str]:
    """Ids of this user's jobs named ``name`` (optionally in one state)."""
    command = ["squeue", "-h", "-n", name, "-o", "%i"] + (["-t", state] if state else [])
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()


def wait_for_job(name: str, state: str = "RUNNING", timeout_s: float = 60) -> str:
    """The id of the first job named ``name`` in ``state``, waiting for it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ids = squeue_ids(name, state)
        if ids:
            return ids[0]
        time.sleep(0.5)
    raise AssertionError(f"no {state} job named {name} within {timeout_s} s")


SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def start(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """snakemake in its own process group (as in a terminal), output captured."""
    return start_snakemake(cwd, *args, env=env or sweeps_env())


def running(proc: subprocess.Popen[str], name: str) -> str:
    """The id of a running job named ``name`` (failing early if snakemake already stopped)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        ids = squeue_ids(name, "RUNNING")
        if ids:
            return ids[0]
        if proc.poll() is not None:
            raise AssertionError(f"snakemake ended early:\n{proc.communicate()[0][-4000:]}")
        time.sleep(0.5)
    raise AssertionError(f"no running job named {name} within 90 s")


def trials(cwd: Path, study: str) -> list[optuna.trial.FrozenTrial]:
    """The trials of the study a workflow copy in ``cwd`` wrote (SQLite)."""
    storage = f"sqlite:///{cwd}/results/{study}/study.db"
    return optuna.load_study(study_name=study, storage=storage).trials


def job_nodes(job_id: str) -> list[str]:
    """The nodes a running job holds, one name each."""
    hostlist = subprocess.run(
        ["squeue", "-h", "-j", job_id, "-o", "%N"], capture_output=True, text=True, check=True
    ).stdout.strip()
    names = subprocess.run(
        ["scontrol", "show", "hostnames", hostlist], capture_output=True, text=True, check=True
    )
    return names.stdout.split()


def take_node_down(node: str) -> None:
    """Fail ``node`` as a dead node fails: Slurm ends its jobs as NODE_FAIL. Drained first, so
    that it stays out of service when its slurmd registers again (``ReturnToService=2`` would
    take a node back at once; a dead node stays down until someone resumes it)."""
    for state in ("drain", "down"):
        subprocess.run(
            ["scontrol", "update", f"nodename={node}", f"state={state}", "reason=test"],
            check=True,
        )


def bring_nodes_back() -> None:
    """Resume every node a test took down."""
    out = subprocess.run(
        ["sinfo", "-h", "-N", "-o", "%N %t"], capture_output=True, text=True, check=True
    ).stdout
    for node in {line.split()[0] for line in out.splitlines() if "drain" in line or "down" in line}:
        subprocess.run(["scontrol", "update", f"nodename={node}", "state=resume"], check=False)


def start_requeued_now(job_id: str) -> None:
    """Slurm holds a requeued job back for about two minutes; a user may start it at once."""
    subprocess.run(["scontrol", "update", f"jobid={job_id}", "StartTime=now"], check=True)
