"""Executors are looked up by name in one registry: a new one is a module and one line."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from optuna.trial import TrialState
from support.debug_backend import DebugBackend

from sweeps.cli import main
from sweeps.controller.slot import run_slot
from sweeps.controller.study_job import run_study_job
from sweeps.run.executors import backend_named, register_backend
from sweeps.run.executors.registry import BACKENDS, UnknownExecutor
from sweeps.study import load_study


@pytest.fixture
def debug_executor() -> Iterator[None]:
    register_backend(DebugBackend())  # the one line a new executor needs
    yield
    del BACKENDS["debug"]


@pytest.mark.usefixtures("debug_executor")
def test_a_registered_executor_runs_a_trial_slot(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(dispatch={"executor": "debug", "poll_interval_s": 0.05})
    run_study_job(spec)
    receipt = run_slot(spec, 0, Path("results/t/trials/0.json"))
    trial = load_study(spec).trials[0]
    assert receipt.state == "COMPLETE" and trial.state == TrialState.COMPLETE
    assert trial.user_attrs["executor"] == "debug"
    assert trial.user_attrs["job_id"].startswith("DEBUG_")
    assert trial.user_attrs["pid"] == os.getpid()  # it ran in this process: the debug executor
    assert trial.intermediate_values  # the handle reported through the study as in any job


def test_an_unknown_executor_is_refused_before_the_study_exists(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(dispatch={"executor": "flux"})
    with pytest.raises(UnknownExecutor, match=r"dispatch.executor: 'flux'.*known: local, slurm"):
        run_study_job(spec)
    assert not Path("results/t/study.db").exists()


def test_validate_names_an_unknown_executor(make_spec, capsys) -> None:  # type: ignore[no-untyped-def]
    path, _ = make_spec(dispatch={"executor": "flux"})
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: dispatch.executor: 'flux' is not a known executor" in err


def test_the_shipped_executors_are_registered() -> None:
    assert backend_named("local").runs_on_submit_host
    assert not backend_named("slurm").runs_on_submit_host
