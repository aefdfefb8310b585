"""Nothing in a Hydra config is dropped silently: every key the importer does not carry over
gets a printed note (or an error), and each difference from the sweeper is in the description."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from support.hydra_probe import OPTUNA, probe

from sweeps.cli import main
from sweeps.importers import UnsupportedConstruct

CONFIG: dict[str, Any] = {
    "model": {"depth": 3},
    "lr": 0.1,
    "hydra": {
        "sweeper": {
            "sampler": {"seed": 1},
            "direction": ["minimize", "maximize"],
            "study_name": "probe",
            "storage": "sqlite:///hydra.db",
            "n_trials": 8,
            "n_jobs": 3,
            "max_failure_rate": 0.25,
            "custom_search_space": None,
            "search_space": None,
            "params": {"lr": "interval(0, 1)", "model.depth": "range(1, 4)"},
        },
        "launcher": {"partition": "small-g", "gpus_per_node": 1, "timeout_min": 60},
        "run": {"dir": "outputs/${now:%Y-%m-%d}"},
        "sweep": {"dir": "multirun", "subdir": "${hydra.job.num}"},
        "job": {"chdir": True, "env_set": {"OMP_NUM_THREADS": "1"}},
        "job_logging": {"root": {"level": "INFO"}},
        "hydra_logging": {"root": {"level": "WARN"}},
        "callbacks": {"log": {"_target_": "my.Callback"}},
        "output_subdir": None,
        "verbose": True,
        "mode": "MULTIRUN",
        "searchpath": ["pkg://my_app.conf"],
    },
}
# What the sweep file carries over exactly, and where.
USED = {
    "hydra.sweeper.sampler": lambda spec: spec["sampler"]["seed"] == 1,
    "hydra.sweeper.direction": lambda spec: spec["directions"] == ["minimize", "maximize"],
    "hydra.sweeper.study_name": lambda spec: spec["study"] == "probe",
    "hydra.sweeper.n_trials": lambda spec: spec["budget"]["n_trials"] == 8,
    "hydra.sweeper.params": lambda spec: (
        spec["space"]
        == {
            "lr": {"type": "float", "low": 0.0, "high": 1.0},
            "model.depth": {"type": "int", "low": 1, "high": 4, "step": 1},
        }
    ),
}


def keys(node: Any, prefix: str = "") -> list[str]:
    """The file's keys down to the hydra.* settings (the app's own keys at the top)."""
    out = []
    for key, value in node.items():
        full = f"{prefix}{key}"
        if full in ("hydra", "hydra.sweeper"):
            out += keys(value, full + ".")
        else:
            out.append(full)
    return out


def test_every_key_is_used_noted_or_refused(tmp_path: Path) -> None:
    text = OPTUNA + "  - override hydra/launcher: submitit_slurm\n" + yaml.safe_dump(CONFIG)
    imported = probe(tmp_path, text)
    notes = "\n".join(imported.notes)
    for key in keys(CONFIG):
        if key in USED:
            assert USED[key](imported.spec), key
        else:
            assert key in notes, f"{key} dropped without a note"
    assert "hydra/launcher" in notes
    for name in ("partition", "gpus_per_node", "timeout_min"):  # launcher settings shown
        assert name in notes
    assert "${now:%Y-%m-%d}" in notes  # ignored keys are shown as written, never resolved
    assert "n_jobs: 3" in imported.spec["description"]
    assert imported.spec["parallelism"] == 3


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("custom_search_space", "my_app.space"),
        ("search_space", {"x": {"type": "int", "low": 1, "high": 3}}),
        ("pruner", {"_target_": "optuna.pruners.HyperbandPruner"}),
        ("unknown_setting", 1),
        ("_target_", "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"),
        ("direction", "sideways"),
        ("n_trials", 0),
        ("n_jobs", "many"),
        ("params", {}),
    ],
)
def test_sweeper_keys_that_cannot_be_carried_over_are_refused(
    tmp_path: Path, key: str, value: Any
) -> None:
    sweeper = {"params": {"x": "interval(0, 1)"}, key: value}
    text = OPTUNA + yaml.safe_dump({"hydra": {"sweeper": sweeper}})
    with pytest.raises(UnsupportedConstruct) as err:
        probe(tmp_path, text)
    assert f"hydra.sweeper.{key}" in str(err.value) or "hydra.sweeper" in str(err.value)


def test_notes_are_printed_and_written_into_the_sweep_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "config.yaml"
    source.write_text(OPTUNA + yaml.safe_dump(CONFIG))
    out = tmp_path / "sweep.yaml"
    assert main(["import", str(source), "--out", str(out), "--objective", "m:f"]) == 0
    err = capsys.readouterr().err
    written = out.read_text()
    for key in ("hydra.sweeper.storage", "hydra.sweeper.max_failure_rate", "hydra.launcher"):
        assert f"note: {key}" in err and f"# note: {key}" in written
    assert "Differences from the Hydra sweep" in yaml.safe_load(written)["description"]


@pytest.mark.parametrize(
    "config",
    [
        {"hydra": 5},
        {"hydra": {"sweeper": 5}},
        {"hydra": {"sweeper": {"sampler": "tpe", "params": {"x": "1"}}}},
        {"hydra": {"sweeper": {"params": [1, 2]}}},
        {"hydra": {"sweeper": {"direction": {"a": 1}, "params": {"x": "1"}}}},
        {"hydra": {"sweeper": {"n_trials": 1.5, "params": {"x": "1"}}}},
        {"hydra": {"sweeper": {"params": {"x": "range(1, 5, 0)"}}}},
        {"hydra": {"sweeper": {"params": {"x": "range(0.0, 1.0, 0.0)"}}}},
        {"hydra": {"sweeper": {"params": {"x": "interval(2, 1)"}}}},
        {"hydra": {"sweeper": {"params": {"x": "tag(log, interval(-1, 1))"}}}},
        {"hydra": {"sweeper": {"params": {"x": "choice(1, 2"}}}},
        {"hydra": {"sweeper": {"params": {"x": "${oc.env:X}"}}}},
    ],
)
def test_malformed_configs_are_one_clear_error(tmp_path: Path, config: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedConstruct) as err:
        probe(tmp_path, OPTUNA + yaml.safe_dump(config))
    assert "config.yaml" in str(err.value) and "\n" not in str(err.value)
