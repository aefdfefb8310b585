"""Every defaults-list form Hydra accepts picks the sweeper and sampler; other entries are
noted; a sampler the list cannot name exactly is refused, never replaced by TPE."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.hydra_probe import sweeper

from sweeps.importers import UnsupportedConstruct

SPACE = "params:\n  x: choice(1, 2)\n"


def head(*entries: str) -> str:
    return "defaults:\n" + "".join(f"  - {entry}\n" for entry in entries)


@pytest.mark.parametrize(
    ("entries", "sampler"),
    [
        (["override hydra/sweeper: optuna"], "TPESampler"),
        (
            ["override /hydra/sweeper: optuna", "override /hydra/sweeper/sampler: random"],
            "RandomSampler",
        ),
        (
            ["_self_", "override hydra/sweeper: optuna", "override hydra/sweeper/sampler: cmaes"],
            "CmaEsSampler",
        ),
        (
            ["override hydra/sweeper: optuna", "_self_", "override /hydra/sweeper/sampler: nsgaii"],
            "NSGAIISampler",
        ),
        (
            [
                "override hydra/sweeper: optuna",
                "override hydra/sweeper/sampler@hydra.sweeper.sampler: qmc",
            ],
            "QMCSampler",
        ),
        (
            ["override hydra/sweeper: optuna", "override hydra/sweeper/sampler@_group_: gp"],
            "GPSampler",
        ),
        (
            ["override hydra/sweeper: optuna", "optional override hydra/sweeper/sampler: random"],
            "RandomSampler",
        ),
        (
            ["{override hydra/sweeper: optuna}", "{override hydra/sweeper/sampler: grid}"],
            "GridSampler",
        ),
        (["override hydra/sweeper@_global_.hydra.sweeper: optuna"], "TPESampler"),
    ],
)
def test_defaults_forms_choose_the_sampler(
    tmp_path: Path, entries: list[str], sampler: str
) -> None:
    spec = sweeper(tmp_path, SPACE, head=head(*entries)).spec
    assert spec["sampler"]["name"] == sampler


def test_hydra_1_0_form_without_override_is_read_and_noted(tmp_path: Path) -> None:
    imported = sweeper(
        tmp_path, SPACE, head=head("hydra/sweeper: optuna", "hydra/sweeper/sampler: random")
    )
    assert imported.spec["sampler"]["name"] == "RandomSampler"
    assert any("without 'override'" in note for note in imported.notes)


def test_a_sweeper_target_alone_is_the_optuna_sweeper(tmp_path: Path) -> None:
    body = "_target_: hydra_plugins.hydra_optuna_sweeper.optuna_sweeper.OptunaSweeper\n" + SPACE
    assert sweeper(tmp_path, body, head="").spec["sampler"]["name"] == "TPESampler"


@pytest.mark.parametrize(
    ("entries", "named"),
    [
        (["override hydra/sweeper: basic"], "not the Optuna sweeper"),
        (["override /hydra/sweeper: ax"], "not the Optuna sweeper"),
        (["override hydra/sweeper: optuna", "override hydra/sweeper/sampler: motpe"], "removed"),
        (["override hydra/sweeper: optuna", "override hydra/sweeper/sampler: bohb"], "bohb"),
        (["override hydra/sweeper: optuna", "override hydra/sweeper/sampler: ???"], "by name"),
        (["override hydra/sweeper: optuna", "override hydra/sweeper/sampler@foo: random"], "'foo'"),
        (
            ["override hydra/sweeper: optuna", "override hydra/sweeper/sampler@_here_: random"],
            "_here_",
        ),
        (["override hydra/sweeper: optuna", "hydra/sweeper/sampler: [tpe, random]"], "by name"),
        (["override hydra/sweeper: optuna", "{a: 1, b: 2}"], "group: option"),
        (
            ["override hydra/sweeper: optuna", "override hydra/sweeper: sampler/random"],
            "keeps its default",
        ),
        (["override hydra: sweeper/optuna"], "keeps its default"),
        (["override hydra/sweeper: optuna", "sometimes hydra/sweeper/sampler: tpe"], "keywords"),
    ],
)
def test_defaults_that_cannot_be_followed_are_refused(
    tmp_path: Path, entries: list[str], named: str
) -> None:
    with pytest.raises(UnsupportedConstruct) as err:
        sweeper(tmp_path, SPACE, head=head(*entries))
    assert named in str(err.value) and "defaults" in str(err.value)


def test_other_entries_are_noted(tmp_path: Path) -> None:
    imported = sweeper(
        tmp_path,
        SPACE,
        head=head(
            "_self_",
            "base_config",
            "db: mysql",
            "optional server: ???",
            "override hydra/launcher: submitit_slurm",
            "override hydra/sweeper: optuna",
        ),
    )
    notes = "\n".join(imported.notes)
    for shown in ("'base_config'", "defaults.db", "defaults.optional server", "hydra/launcher"):
        assert shown in notes
    assert "_self_" not in notes


def test_a_defaults_mapping_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedConstruct, match="must be a list"):
        sweeper(tmp_path, SPACE, head="defaults:\n  hydra/sweeper: optuna\n")
