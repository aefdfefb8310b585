"""A published sweep is named without a path: ``published:NAME``."""

from __future__ import annotations

import pytest

from sweeps.cli import main
from sweeps.shipped import published_sweeps
from sweeps.spec import load_spec


def test_a_published_name_loads_the_shipped_sweep() -> None:
    assert "bayesmark-SVM_wine_acc" in published_sweeps()
    spec = load_spec("published:bayesmark-SVM_wine_acc")
    assert spec.study == "bayesmark-SVM_wine_acc"


def test_validate_takes_a_published_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "published:bayesmark-SVM_wine_acc"]) == 0
    assert "valid sweep 'bayesmark-SVM_wine_acc'" in capsys.readouterr().out


def test_an_unknown_published_name_lists_the_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "published:bayesmark-SVM_wine"]) == 2
    err = capsys.readouterr().err
    assert "published:bayesmark-SVM_wine" in err
    assert "no published sweep 'bayesmark-SVM_wine'" in err
    assert "bayesmark-SVM_wine_acc" in err and "lcbench-167168" in err
