"""A real sweep of 3 trials, each reporting 3 steps, tracked to an MLflow file store, W&B
offline and TensorBoard at once: each tracker holds one run per trial, named
``<study>-<number>``, with its parameters, its step series, its final value, state and facts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from optuna.trial import FrozenTrial, TrialState
from support.tracked_sweep import run_sweep, tracked_spec, wandb_run

from sweeps.spec import SweepSpec
from sweeps.spec.facts import HOSTNAME, RUNTIME_S
from sweeps.storage.open import close_storage

TRACKING = {
    "mlflow": {"tracking_uri": "file:./mlruns", "experiment": "digits"},
    "wandb": {"project": "digits"},
    "tensorboard": {},
}
Swept = tuple[SweepSpec, list[FrozenTrial]]


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Swept]:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path_factory.mktemp("tracked"))
        spec = tracked_spec(TRACKING)
        trials = run_sweep(spec)
        yield spec, trials
        close_storage()


def test_the_trials_are_told_as_without_tracking(swept: Swept) -> None:
    _, trials = swept
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3
    assert all(len(t.intermediate_values) == 3 for t in trials)


def test_mlflow_has_one_run_per_trial_with_its_params_and_step_series(swept: Swept) -> None:
    from mlflow import MlflowClient

    _, trials = swept
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 asks for consent to files
        client = MlflowClient(tracking_uri="file:./mlruns")
        experiment = client.get_experiment_by_name("digits")
        assert experiment is not None
        runs = client.search_runs([experiment.experiment_id])
        by_name = {run.info.run_name: run for run in runs}
        assert sorted(by_name) == ["t-0", "t-1", "t-2"]
        for trial in trials:
            run = by_name[f"t-{trial.number}"]
            assert run.info.status == "FINISHED"
            assert run.data.params == {"x": str(trial.params["x"])}
            assert run.data.tags["sweeps.state"] == "COMPLETE"
            assert run.data.tags[HOSTNAME.key] == trial.user_attrs[HOSTNAME.key]
            assert run.data.metrics["final/value"] == pytest.approx(trial.value)
            assert run.data.metrics[RUNTIME_S.key] == pytest.approx(trial.user_attrs[RUNTIME_S.key])
            history = client.get_metric_history(run.info.run_id, "value")
            assert {m.step: m.value for m in history} == trial.intermediate_values


def test_tensorboard_has_an_event_file_per_trial_with_its_step_series(swept: Swept) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import metadata

    _, trials = swept
    root = Path("results/t/tensorboard")
    assert sorted(p.name for p in root.iterdir()) == ["t-0", "t-1", "t-2"]
    for trial in trials:
        run_dir = root / f"t-{trial.number}"
        assert len(list(run_dir.glob("events.out.tfevents.*"))) == 1
        events = EventAccumulator(str(run_dir))
        events.Reload()
        series = {e.step: e.value for e in events.Scalars("value")}
        assert series == pytest.approx(trial.intermediate_values)
        (final,) = events.Scalars("final/value")
        assert final.value == pytest.approx(trial.value) and final.step == 2
        (runtime,) = events.Scalars(RUNTIME_S.key)
        assert runtime.value == pytest.approx(trial.user_attrs[RUNTIME_S.key])
        start = events.PluginTagToContent(metadata.PLUGIN_NAME)[metadata.SESSION_START_INFO_TAG]
        hparams = metadata.parse_session_start_info_plugin_data(start).hparams
        assert hparams["x"].number_value == pytest.approx(trial.params["x"])
        assert hparams["state"].string_value == "COMPLETE"


def test_wandb_has_an_offline_run_per_trial_with_its_params_and_values(swept: Swept) -> None:
    _, trials = swept
    runs = [wandb_run(d) for d in Path("results/t/wandb").glob("offline-run-*")]
    by_name = {run["name"]: run for run in runs}
    assert sorted(by_name) == ["t-0", "t-1", "t-2"]
    for trial in trials:
        run = by_name[f"t-{trial.number}"]
        assert run["group"] == "t" and run["tags"] == ["COMPLETE"] and run["exit_code"] == 0
        assert run["config"]["x"] == pytest.approx(trial.params["x"])
        series = {step: row["value"] for step, row in run["history"].items()}
        assert series == pytest.approx(trial.intermediate_values)
        assert run["summary"]["final/value"] == pytest.approx(trial.value)
        assert run["summary"]["state"] == "COMPLETE"
        assert run["summary"][HOSTNAME.key] == trial.user_attrs[HOSTNAME.key]
