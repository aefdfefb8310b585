"""The sbatch script each shipped profile produces (rendered, nothing submitted)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from support.specs import REPO

from sweeps.run.executors.slurm.script import SlurmConfigError, render_script
from sweeps.run.strategies import check_dispatch
from sweeps.spec import SweepSpec, load_spec
from sweeps.spec.sites import load_with_sites, read_site

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


def test_olivia_script_asks_for_accel_and_the_sweeps_gpus(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SBATCH_ACCOUNT", "nn1234k")
    site = REPO / "profiles" / "olivia" / "site.yaml"
    sweep = yaml.safe_load(DEFAULT.read_text())
    for gpus in (None, 3):  # the site's default, then the sweep's own
        sweep["resources"] = {"time_min": 15} | ({} if gpus is None else {"gpus": gpus})
        path = tmp_path / "sweep.yaml"
        path.write_text(yaml.safe_dump(sweep))
        script = render_script(load_with_sites(path, [site]), tmp_path)
        found = flags(script)
        assert {"--partition=accel", "--account=nn1234k", f"--gpus-per-node={gpus or 1}"} <= found
        assert {"--cpus-per-task=72", "--mem=65536M"} <= found
        assert not any(f.startswith(("--gpus=", "--wckey")) for f in found)
        assert "${OLIVIA_PYTHON:?" in script  # the trials' aarch64 Python


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


def lumi_sweep(tmp_path: Path, resources: dict[str, object], **slurm: object) -> SweepSpec:
    """The default sweep asking for ``resources``, with the lumi profile's site file and
    ``slurm`` settings as this run's override (``site_overrides``)."""
    data = yaml.safe_load(DEFAULT.read_text())
    data["resources"] = {**data["resources"], **resources}
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(data))
    override = tmp_path / "override.yaml"
    override.write_text(yaml.safe_dump({"dispatch": {"slurm": slurm}}))
    return load_with_sites(path, [REPO / "profiles" / "lumi" / "site.yaml"], [override])


def test_the_sweep_s_gpus_win_over_the_site_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SBATCH_ACCOUNT", "project_465000123")
    spec = lumi_sweep(tmp_path, {"gpus": 8, "nodes": 2})
    assert spec.resources.gpus == 8 and spec.resources.cpus == 1  # the sweep's own, both
    assert {"--gpus-per-node=8", "--nodes=2", "--ntasks-per-node=8", "--cpus-per-task=7"} <= (
        flags(render_script(spec))
    )


@pytest.mark.parametrize(
    ("resources", "slurm", "message"),
    [
        ({"gpus": 9}, {}, "resources.gpus: 9 GPUs per node, but partition small-g allows 8"),
        ({"gpus": 8, "nodes": 5}, {}, "resources.nodes: 5, but partition small-g allows at most 4"),
    ],
)
def test_asking_beyond_the_partition_is_refused_before_submitting(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    resources: dict[str, object],
    slurm: dict[str, object],
    message: str,
) -> None:
    monkeypatch.setenv("SBATCH_ACCOUNT", "project_465000123")
    with pytest.raises(SlurmConfigError, match=message):
        render_script(lumi_sweep(tmp_path, resources, **slurm))


def test_part_of_a_whole_node_in_job_mode_is_refused_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SBATCH_ACCOUNT", "project_465000123")
    spec = lumi_sweep(tmp_path, {"gpus": 1}, partition="standard-g")
    with pytest.raises(ValueError, match="hands out \\(and bills\\) whole nodes of 8 GPUs") as err:
        check_dispatch(spec)
    assert "dispatch.mode: warm" in str(err.value)
    check_dispatch(lumi_sweep(tmp_path, {"gpus": 8}, partition="standard-g"))  # a whole node
