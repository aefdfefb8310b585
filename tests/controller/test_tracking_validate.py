"""``tracking:`` in a sweep file: the example of docs/objectives.md is valid, unknown keys are
refused by name, a literal password is refused without being shown, and a tracker that is
not installed is refused by ``sweeps validate`` and before the study exists, naming the
file, the key and the extra that installs it."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.specs import REPO, base_spec

from sweeps.cli import main
from sweeps.controller.study_job import run_study_job
from sweeps.controller.tracking import TRACKERS
from sweeps.spec import SpecError, spec_from_dict
from sweeps.spec.tracking import TrackingSpec

DOCS = REPO / "docs" / "objectives.md"


def docs_example() -> dict[str, Any]:
    """The first YAML block of the docs' section on tracking."""
    section = DOCS.read_text().split("## Tracking: MLflow, W&B, TensorBoard", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block is not None
    return yaml.safe_load(block.group(1))


def validate(
    workdir: Path, capsys: pytest.CaptureFixture[str], **overrides: Any
) -> tuple[int, str]:
    path = workdir / "sweep.yaml"
    path.write_text(yaml.safe_dump(base_spec(**overrides)))
    code = main(["validate", str(path)])
    printed = capsys.readouterr()
    return code, printed.out + printed.err


def test_the_docs_example_is_a_valid_sweep(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = docs_example()
    code, printed = validate(workdir, capsys, **example)
    assert code == 0, printed
    tracking = spec_from_dict(base_spec(**example)).tracking
    assert tracking is not None and tracking.enabled() == ["mlflow", "wandb", "tensorboard"]
    assert tracking.wandb is not None and tracking.wandb.mode == "offline"


def test_every_key_under_tracking_has_a_tracker() -> None:
    assert set(TRACKERS) == set(TrackingSpec.model_fields)
    assert all(name == tracker.name for name, tracker in TRACKERS.items())


@pytest.mark.parametrize(
    ("tracking", "key"),
    [
        ({"neptune": {}}, "tracking.neptune"),
        ({"mlflow": {"tracking_url": "file:./mlruns"}}, "tracking.mlflow.tracking_url"),
        ({"wandb": {"project": "p", "offline": True}}, "tracking.wandb.offline"),
        ({"tensorboard": {"logdir": "tb"}}, "tracking.tensorboard.logdir"),
    ],
)
def test_an_unknown_key_is_refused_by_name(
    workdir: Path, capsys: pytest.CaptureFixture[str], tracking: dict[str, Any], key: str
) -> None:
    code, printed = validate(workdir, capsys, tracking=tracking)
    assert code == 2
    assert str(workdir / "sweep.yaml") in printed and f"{key} = " in printed
    assert "unknown key" in printed


def test_a_literal_password_is_refused_and_not_shown(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = "https://bob:hunter2@mlflow.example.org"
    code, printed = validate(workdir, capsys, tracking={"mlflow": {"tracking_uri": uri}})
    assert code == 2 and "tracking.mlflow.tracking_uri = 'https://bob:***@" in printed
    assert "literal password" in printed and "hunter2" not in printed
    spec_from_dict(base_spec(tracking={"mlflow": {"tracking_uri": "https://bob:${PW}@h"}}))


def test_trackers_not_installed_are_refused_naming_file_key_and_extra(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for tracker in TRACKERS.values():
        monkeypatch.setitem(sys.modules, tracker.package, None)  # as if not installed
    tracking = {"mlflow": {}, "wandb": {}, "tensorboard": {}}
    code, printed = validate(workdir, capsys, tracking=tracking)
    assert code == 2 and str(workdir / "sweep.yaml") in printed
    for name in tracking:
        assert (
            f'tracking.{name}: {name} is not installed here: pip install "hpc-sweeps[{name}]"'
            in printed
        )
    with pytest.raises(SpecError, match=r"tracking\.wandb: wandb is not installed"):
        run_study_job(spec_from_dict(base_spec(tracking={"wandb": {}})))
    assert not Path("results/t/study.db").exists()  # refused before the study exists
