"""`objective.metrics_from` is checked when the sweep file is loaded (`sweeps validate`): a
pattern that is not a regular expression, or that has no group for a value, is refused naming
the file, the key and the value, before any trial runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.specs import base_spec

from sweeps.spec import SpecError
from sweeps.spec.model import ObjectiveSpec

COMMAND = "python main.py --x {x}"


def refused(make_spec: Any, read: dict[str, Any], **overrides: Any) -> str:
    objective = {"command": COMMAND, "metrics_from": read}
    with pytest.raises(SpecError) as err:
        make_spec(objective=objective, **overrides)
    message = str(err.value)
    assert message.startswith(f"{Path('sweep.yaml').resolve()}: invalid sweep")
    return message


def test_an_invalid_regex_is_refused(make_spec) -> None:  # type: ignore[no-untyped-def]
    message = refused(make_spec, {"final": r"ppl (?P<value>[\d.]+"})
    assert (
        r"objective.metrics_from.final = 'ppl (?P<value>[\\d.]+': not a valid regular "
        "expression: missing ), unterminated subpattern at position 4"
    ) in message


def test_a_pattern_without_a_value_group_is_refused(make_spec) -> None:  # type: ignore[no-untyped-def]
    message = refused(make_spec, {"intermediate": r"loss: ([\d.]+)"})
    assert r"objective.metrics_from.intermediate = 'loss: ([\\d.]+)': has no named group" in message
    message = refused(make_spec, {"final": r"loss: (?P<loss>[\d.]+)"}, metrics=["val_loss"])
    assert (
        r"objective.metrics_from.final = 'loss: (?P<loss>[\\d.]+)': has no group (?P<value>...) "
        "or (?P<val_loss>...) for the value"
    ) in message


def test_several_metrics_need_a_group_each(make_spec) -> None:  # type: ignore[no-untyped-def]
    several = {
        "direction": None,
        "directions": ["minimize", "maximize"],
        "metrics": ["loss", "acc"],
        "sampler": {"name": "NSGAIISampler"},
    }
    message = refused(make_spec, {"final": r"loss (?P<loss>\S+)"}, **several)
    assert "has no group for metric acc: add (?P<acc>...)" in message
    message = refused(make_spec, {"intermediate": r"loss (?P<value>\S+)"}, **several)
    assert "objective.metrics_from.intermediate" in message
    assert "Optuna prunes single-objective sweeps only" in message
    message = refused(make_spec, {"tensorboard": {"dir": "runs", "tag": "val/loss"}}, **several)
    assert "objective.metrics_from.tensorboard.tag = 'val/loss': several values" in message
    message = refused(make_spec, {"tensorboard": {"dir": "runs", "tag": {"loss": "l"}}}, **several)
    assert "give a tag for each metric (loss, acc)" in message


def test_two_sources_of_the_result_and_unknown_placeholders_are_refused(make_spec) -> None:  # type: ignore[no-untyped-def]
    objective = {
        "command": COMMAND,
        "metrics_file": "out.json",
        "metrics_from": {
            "final": r"ppl (?P<value>\S+)",
            "tensorboard": {"dir": "runs/{lr}", "tag": "t"},
        },
    }
    with pytest.raises(SpecError) as err:
        make_spec(objective=objective)
    assert "objective.metrics_file gives the result too: keep one" in str(err.value)
    assert "objective.metrics_from.tensorboard.dir = 'runs/{lr}': unknown placeholder {lr}" in str(
        err.value
    )


def test_an_empty_or_misplaced_metrics_from_is_refused(make_spec) -> None:  # type: ignore[no-untyped-def]
    message = refused(make_spec, {})
    assert "objective.metrics_from = {}: give 'intermediate', 'final' (patterns) or" in message
    with pytest.raises(SpecError) as err:
        make_spec(
            objective={
                "function": "support.objectives:quadratic",
                "metrics_from": {"final": "(?P<value>x)"},
            }
        )
    assert "metrics_from: only for a command objective" in str(err.value)


def test_sweeps_validate_refuses_a_bad_pattern_naming_file_key_and_value(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    read = {"intermediate": "epoch (?P<step>\\d+) val_acc=(?P<value>[\\d.]+", "final": "x"}
    path.write_text(yaml.safe_dump(base_spec(objective={"command": COMMAND, "metrics_from": read})))
    run = subprocess.run(
        [sys.executable, "-m", "sweeps", "validate", str(path)], capture_output=True, text=True
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"{path}: invalid sweep" in run.stderr
    assert "objective.metrics_from.intermediate = 'epoch (?P<step>\\\\d+) val_acc=" in run.stderr
    assert "not a valid regular expression" in run.stderr
    assert "objective.metrics_from.final = 'x': has no named group" in run.stderr


def test_a_command_without_metrics_from_dumps_as_before() -> None:
    """Its study's pinned settings (the fingerprint) read as they did before the key."""
    assert "metrics_from" not in ObjectiveSpec(command=COMMAND).model_dump()
