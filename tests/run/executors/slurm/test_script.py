"""The sbatch script each shipped profile produces (rendered, nothing submitted)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.specs import REPO

from sweeps.run.executors.slurm.script import SlurmConfigError, render_script
from sweeps.spec import SweepSpec, load_spec
from sweeps.spec.sites import read_site

DEFAULT = REPO / "config" / "sweeps" / "default.yaml"


def profile_spec(name: str) -> SweepSpec:
    return load_spec(DEFAULT, overrides=read_site(REPO / "profiles" / name / "site.yaml"))


def flags(script: str) -> set[str]:
    return {line.removeprefix("#SBATCH ") for line in script.splitlines() if "#SBATCH" in line}


def test_lumi_script_has_the_lumi_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SBATCH_ACCOUNT", "project_465000123")
    script = render_script(profile_spec("lumi"))
    assert {
        "--partition=small-g",
        "--account=project_465000123",
        "--gpus-per-node=1",
        "--cpus-per-task=7",
        "--mem-per-gpu=60G",
        "--ntasks-per-node=1",
        "--time=15",
        "--job-name=sweeps-digits-mlp",
    } <= flags(script)
    assert "wckey" not in script
    assert "ntasks-per-gpu" not in script
    assert not any(flag.startswith("--mem=") for flag in flags(script))
    assert 'MIOPEN_USER_DB_PATH="/tmp/${USER:-sweeps}-miopen-${SLURM_JOB_ID}"' in script
    assert "export NCCL_SOCKET_IFNAME=hsn0,hsn1,hsn2,hsn3" in script  # from the profile
    assert "singularity exec ${SIF:?" in script
    assert "-u -m submitit.core._submit" in script


def test_lumi_without_an_account_is_refused_before_submitting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SBATCH_ACCOUNT", raising=False)
    with pytest.raises(SlurmConfigError, match=r"dispatch\.slurm\.account"):
        render_script(profile_spec("lumi"))


def test_saga_script_uses_gpus_and_mem_per_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SBATCH_ACCOUNT", "nn1234k")
    found = flags(render_script(profile_spec("saga")))
    assert {"--partition=accel", "--account=nn1234k", "--gpus=1", "--mem-per-cpu=8G"} <= found
    assert "--cpus-per-task=4" in found
    assert not any(f.startswith(("--gpus-per-node", "--wckey", "--mem=")) for f in found)


def test_betzy_script_uses_accel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SBATCH_ACCOUNT", "nn1234k")
    found = flags(render_script(profile_spec("betzy")))
    assert {"--partition=accel", "--gpus-per-node=1", "--cpus-per-task=16"} <= found
    assert "--mem=32768M" in found
    assert not any(f.startswith("--wckey") for f in found)


def test_account_in_the_settings_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SBATCH_ACCOUNT", "from_env")
    spec = load_spec(
        DEFAULT,
        overrides={"dispatch": {"executor": "slurm", "slurm": {"account": "from_site"}}},
    )
    assert "--account=from_site" in flags(render_script(spec, tmp_path))


def test_mem_per_gpu_without_gpus_is_refused() -> None:
    spec = load_spec(
        DEFAULT, overrides={"dispatch": {"executor": "slurm", "slurm": {"mem_per_gpu": "8G"}}}
    )
    with pytest.raises(SlurmConfigError, match="mem_per_gpu"):
        render_script(spec)
