"""Site settings files (from a profile) merged over a sweep, with errors that name the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from sweeps.spec import SpecError
from sweeps.spec.sites import read_site, read_sites, resolve_site


def test_later_site_files_win(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("dispatch: {executor: slurm, slurm: {partition: small-g}}\n")
    second.write_text("dispatch: {slurm: {partition: standard-g}}\n")
    merged = read_sites([first, second])
    assert merged == {"dispatch": {"executor": "slurm", "slurm": {"partition": "standard-g"}}}
    assert read_sites([]) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [("- a list\n", "must be a YAML mapping"), ("a: [unclosed\n", "not valid YAML")],
)
def test_a_bad_site_file_is_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(text)
    with pytest.raises(SpecError, match=message) as error:
        read_site(path)
    assert str(error.value).startswith(f"{path}: ")


def test_a_missing_site_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read site settings") as error:
        read_site(tmp_path / "nowhere.yaml")
    assert "nowhere.yaml" in str(error.value)


def test_a_relative_site_is_found_beside_the_profile(tmp_path: Path) -> None:
    (tmp_path / "site.yaml").write_text("{}\n")
    config = str(tmp_path / "config.yaml")
    assert resolve_site("site.yaml", [config]) == str(tmp_path / "site.yaml")
