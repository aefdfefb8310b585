"""Imported W&B and Hydra files run their own script: program and command carry over."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sweeps.importers import ImportOptions, UnsupportedConstruct, import_file
from sweeps.job.command import command_argv
from sweeps.job.task import TrialTask
from sweeps.spec import spec_from_dict

SPACE = {"lr": {"values": [0.1]}, "flag": {"values": [True, False]}}


def imported(tmp_path: Path, data: dict[str, Any], **options: Any) -> dict[str, Any]:
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(data))
    return import_file(path, ImportOptions(n_trials=2, **options)).spec


def argv(spec: dict[str, Any], params: dict[str, Any]) -> list[str]:
    task = TrialTask(spec_from_dict(spec), 0, 0, 0, 0, params, 0, "")
    return command_argv(task, "params.json")


def test_wandb_program_runs_with_wandbs_default_command(tmp_path: Path) -> None:
    spec = imported(tmp_path, {"method": "grid", "program": "train.py", "parameters": SPACE})
    assert spec["objective"] == {"program": "train.py"}
    assert argv(spec, {"lr": 0.1, "flag": True})[-3:] == ["train.py", "--lr=0.1", "--flag=True"]


def test_wandb_command_keeps_its_macros(tmp_path: Path) -> None:
    command = ["${env}", "python3", "${program}", "-b", "cfg", "${args_no_hyphens}"]
    data = {"method": "grid", "program": "train.py", "command": command, "parameters": SPACE}
    spec = imported(tmp_path, data)
    assert spec["objective"] == {"command": command, "program": "train.py"}
    expanded = argv(spec, {"lr": 0.1, "flag": False})
    assert expanded[-6:] == ["python3", "train.py", "-b", "cfg", "lr=0.1", "flag=False"]


def test_wandb_without_a_program_needs_one(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedConstruct, match="names no script to run; pass --program"):
        imported(tmp_path, {"method": "grid", "parameters": SPACE})
    spec = imported(tmp_path, {"method": "grid", "parameters": SPACE}, objective="m:f")
    assert spec["objective"] == {"function": "m:f"}


def test_hydra_app_runs_with_key_value_overrides(tmp_path: Path) -> None:
    config = {
        "defaults": [{"override hydra/sweeper": "optuna"}],
        "hydra": {"sweeper": {"params": {"x": "choice(1, 2)", "opt": "choice(adam, sgd)"}}},
    }
    with pytest.raises(UnsupportedConstruct, match="--program"):
        imported(tmp_path, config)
    spec = imported(tmp_path, config, program="my_app.py")
    assert argv(spec, {"x": 2, "opt": "sgd"})[1:] == ["my_app.py", "x=2", "opt=sgd"]
