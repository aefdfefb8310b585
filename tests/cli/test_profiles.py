"""``sweeps profiles``: the shipped profiles are found and linked where Snakemake looks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from support.specs import REPO

from sweeps.cli import main
from sweeps.cli.profiles import shipped_profiles, snakemake_config_dir
from sweeps.spec.sites import resolve_site


def test_every_cluster_profile_is_shipped_with_its_site_settings() -> None:
    profiles = shipped_profiles()
    assert {"local", "lumi", "saga", "betzy", "olivia"} <= set(profiles)
    assert "default" not in profiles  # a profiles/default would apply to every run
    for name in ("lumi", "saga", "betzy", "olivia"):
        config = yaml.safe_load((profiles[name] / "config.yaml").read_text())
        assert config["configfile"] == "sweeps-config.yaml"
        assert "config" not in config  # nested config maps lose their types in profiles
        site = yaml.safe_load((profiles[name] / "sweeps-config.yaml").read_text())["site"]
        assert (profiles[name] / site).is_file()


def test_install_links_profiles_and_is_idempotent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["profiles", "install", "--dest", str(tmp_path)]) == 0
    assert (tmp_path / "lumi").resolve() == shipped_profiles()["lumi"]
    assert main(["profiles", "install", "--dest", str(tmp_path), "lumi"]) == 0
    assert "lumi: already installed" in capsys.readouterr().out


def test_install_keeps_a_users_own_profile_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "saga").mkdir()
    assert main(["profiles", "install", "--dest", str(tmp_path), "saga"]) == 0
    assert not (tmp_path / "saga").is_symlink()
    (tmp_path / "saga").rmdir()
    (tmp_path / "saga").symlink_to(tmp_path)
    assert main(["profiles", "install", "--dest", str(tmp_path), "--force", "saga"]) == 0
    assert (tmp_path / "saga").resolve() == shipped_profiles()["saga"]


def test_olivia_installs_and_a_sweep_validates_with_its_site_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["profiles", "install", "--dest", str(tmp_path), "olivia"]) == 0
    installed = tmp_path / "olivia"
    assert installed.resolve() == shipped_profiles()["olivia"]
    site = installed / "site.yaml"
    sweep = REPO / "config" / "sweeps" / "default.yaml"
    assert main(["validate", str(sweep), "--site", str(site)]) == 0
    assert "executor slurm" in capsys.readouterr().out
    # GPUs only as a default (resources): dispatch.slurm.gpus_per_node would override a sweep's.
    settings = yaml.safe_load(site.read_text())
    assert settings["resources"]["gpus"] == 1
    assert "gpus_per_node" not in settings["dispatch"]["slurm"]


def test_unknown_profile_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["profiles", "install", "--dest", str(tmp_path), "lumii"]) == 2
    assert "unknown profile(s) ['lumii']" in capsys.readouterr().err


def test_default_destination_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert snakemake_config_dir() == tmp_path / "snakemake"


def test_relative_site_is_found_beside_the_profiles_config_file(tmp_path: Path) -> None:
    lumi = shipped_profiles()["lumi"]
    config_file = str(lumi / "sweeps-config.yaml")
    assert resolve_site("site.yaml", [config_file]) == str(lumi / "site.yaml")
    assert resolve_site(None, [config_file]) is None
    assert resolve_site("/abs/site.yaml", [config_file]) == "/abs/site.yaml"
