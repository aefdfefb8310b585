"""Pruned and failed trials, and trials that ran as Slurm jobs, reach every tracker with their
state and their facts (the Slurm job, the node, cost and energy), an old study's keys too."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import FrozenTrial, TrialState, create_trial
from support.tracked_sweep import tracked_spec, wandb_run

from sweeps.controller.tracking import track_trial
from sweeps.spec.facts import ALLOCATED_GPU_HOURS, BILLED_GPU_HOURS, ENERGY_WH, NODE, SLURM_JOB_ID
from sweeps.study.keys import Attr

FACTS = {
    SLURM_JOB_ID.key: "4242_1",
    NODE.key: "nid001",
    BILLED_GPU_HOURS.key: 0.5,
    ENERGY_WH.key: 12.5,
    ALLOCATED_GPU_HOURS.old_keys[0]: 2.0,  # as an older study recorded it
}
TRACKING = {"mlflow": {"tracking_uri": "file:./mlruns"}, "wandb": {}, "tensorboard": {}}


def finished_trials() -> list[FrozenTrial]:
    """Trial 0 pruned after two steps, trial 1 failed after one: both Slurm jobs."""
    study = optuna.create_study()
    x = {"x": FloatDistribution(-5.0, 5.0)}
    pruned = {Attr.REASON: "pruned after step 1", **FACTS}
    study.add_trial(
        create_trial(
            state=TrialState.PRUNED,
            params={"x": 1.0},
            distributions=x,
            intermediate_values={0: 3.0, 1: 2.5},
            user_attrs=pruned,
        )
    )
    failed = {Attr.FAIL_REASON: "RuntimeError: boom", **FACTS}
    study.add_trial(
        create_trial(
            state=TrialState.FAIL,
            params={"x": 4.0},
            distributions=x,
            intermediate_values={0: 9.0},
            user_attrs=failed,
        )
    )
    return study.trials


@pytest.fixture
def tracked(workdir: Path) -> list[FrozenTrial]:
    spec = tracked_spec(TRACKING)
    trials = finished_trials()
    for trial in trials:
        track_trial(spec, trial)
    return trials


@pytest.mark.usefixtures("tracked")
def test_mlflow_runs_carry_state_reason_and_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client = MlflowClient(tracking_uri="file:./mlruns")
    experiment = client.get_experiment_by_name("t")  # the study's name by default
    assert experiment is not None
    runs = {r.info.run_name: r for r in client.search_runs([experiment.experiment_id])}
    pruned, failed = runs["t-0"], runs["t-1"]
    assert (pruned.info.status, failed.info.status) == ("KILLED", "FAILED")
    assert pruned.data.tags["sweeps.state"] == "PRUNED"
    assert failed.data.tags["sweeps.reason"] == "RuntimeError: boom"
    assert pruned.data.tags[SLURM_JOB_ID.key] == "4242_1" and pruned.data.tags[NODE.key] == "nid001"
    assert pruned.data.metrics[BILLED_GPU_HOURS.key] == 0.5
    assert pruned.data.metrics[ENERGY_WH.key] == 12.5
    assert pruned.data.metrics[ALLOCATED_GPU_HOURS.key] == 2.0  # under today's key
    assert not any(key.startswith("final/") for key in pruned.data.metrics)  # no final value
    history = client.get_metric_history(pruned.info.run_id, "value")
    assert {m.step: m.value for m in history} == {0: 3.0, 1: 2.5}


@pytest.mark.usefixtures("tracked")
def test_wandb_runs_carry_state_and_facts() -> None:
    runs = {r["name"]: r for r in map(wandb_run, Path("results/t/wandb").glob("offline-run-*"))}
    pruned, failed = runs["t-0"], runs["t-1"]
    assert (pruned["exit_code"], failed["exit_code"]) == (0, 1)  # W&B shows the failed one
    assert (pruned["summary"]["state"], failed["summary"]["state"]) == ("PRUNED", "FAIL")
    assert pruned["summary"][SLURM_JOB_ID.key] == "4242_1"
    assert pruned["summary"][BILLED_GPU_HOURS.key] == 0.5
    assert pruned["summary"][ENERGY_WH.key] == 12.5
    assert {step: row["value"] for step, row in pruned["history"].items()} == {0: 3.0, 1: 2.5}


@pytest.mark.usefixtures("tracked")
def test_tensorboard_runs_carry_state_and_facts() -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import api_pb2, metadata

    def events(name: str) -> EventAccumulator:
        accumulator = EventAccumulator(f"results/t/tensorboard/{name}")
        accumulator.Reload()
        return accumulator

    def hparams(run: EventAccumulator, tag: str) -> bytes:
        return run.PluginTagToContent(metadata.PLUGIN_NAME)[tag]

    pruned, failed = events("t-0"), events("t-1")
    assert [s.value for s in pruned.Scalars(ENERGY_WH.key)] == [12.5]
    assert [s.value for s in pruned.Scalars(BILLED_GPU_HOURS.key)] == [0.5]
    start = metadata.parse_session_start_info_plugin_data(
        hparams(pruned, metadata.SESSION_START_INFO_TAG)
    )
    assert start.hparams[SLURM_JOB_ID.key].string_value == "4242_1"
    assert start.hparams["state"].string_value == "PRUNED"
    end = metadata.parse_session_end_info_plugin_data(
        hparams(failed, metadata.SESSION_END_INFO_TAG)
    )
    assert end.status == api_pb2.STATUS_FAILURE
