"""MLflow: each trial a run of the sweep's experiment, through :class:`mlflow.MlflowClient`."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from optuna.trial import FrozenTrial, TrialState

from sweeps.controller.tracking.base import Tracker
from sweeps.controller.tracking.record import TrialRecord
from sweeps.spec import SweepSpec
from sweeps.spec.tracking import MlflowTracking
from sweeps.storage.credentials import expand_url
from sweeps.storage.urls import redact_url

BOUNDED = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "20",
}
"""An unreachable server costs a trial's controller seconds, not minutes (unless the
environment says otherwise)."""
FILE_STORE = ("file:", "/", ".")
BATCH = 100  # the most params in one request (metrics: 1000)
TAG_LENGTH = 5000
T = TypeVar("T")


class MlflowTracker(Tracker):
    """``tracking: {mlflow: {tracking_uri, experiment}}``."""

    name = "mlflow"
    package = "mlflow"

    def log_trial(self, spec: SweepSpec, trial: FrozenTrial) -> None:
        from mlflow import MlflowClient
        from mlflow.entities import Metric, Param

        settings = _settings(spec)
        record = TrialRecord.of(spec, trial)
        with _environment(settings.tracking_uri):
            client = MlflowClient(tracking_uri=_uri(settings.tracking_uri))
            experiment = _experiment_id(client, settings.experiment or spec.study)
            run = client.create_run(
                experiment,
                start_time=_ms(record.start),
                tags=_tags(record),
                run_name=record.run_name,
            )
            run_id = run.info.run_id
            end = _ms(record.end)
            metrics = [Metric(record.series, v, end, step) for step, v in record.steps]
            finals = {**record.values, **record.numbers}
            metrics += [Metric(k, v, end, record.last_step) for k, v in finals.items()]
            params = [Param(k, str(v)) for k, v in record.params.items()]
            for some in _chunks(params, BATCH):
                client.log_batch(run_id, params=some)
            for chunk in _chunks(metrics, 10 * BATCH):
                client.log_batch(run_id, metrics=chunk)
            client.set_terminated(run_id, _status(record.state), end_time=end)

    def where(self, spec: SweepSpec) -> str:
        uri = _settings(spec).tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
        return f"mlflow at {redact_url(uri)}" if uri else "mlflow"


def _settings(spec: SweepSpec) -> MlflowTracking:
    settings = spec.tracking.mlflow if spec.tracking else None
    assert settings is not None, "the sweep does not track to MLflow"
    return settings


def _uri(setting: str | None) -> str | None:
    """The tracking URI handed to MLflow: ``${VAR}`` references resolved, a file store's path
    made absolute (MLflow keeps a store per URI for the process)."""
    if setting is None:
        return None
    uri = expand_url(setting) if "${" in setting else setting
    if uri.startswith(FILE_STORE) and not uri.startswith("file://"):
        return Path(uri.removeprefix("file:")).resolve().as_uri()
    return uri


@contextmanager
def _environment(setting: str | None) -> Iterator[None]:
    """Bounded HTTP retries and, for a ``file:`` store the sweep names, MLflow's consent to
    it; what the environment already sets is kept."""
    wanted = dict(BOUNDED)
    if setting is not None and setting.startswith(FILE_STORE):
        wanted["MLFLOW_ALLOW_FILE_STORE"] = "true"
    added = {key: value for key, value in wanted.items() if key not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)


def _experiment_id(client: Any, name: str) -> str:
    """The experiment ``name``, created if it does not exist (by this or another controller)."""
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    try:
        return str(client.create_experiment(name))
    except MlflowException:  # another trial's controller created it meanwhile
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return str(found.experiment_id)


def _status(state: TrialState) -> str:
    """The MLflow run status of a trial's state: FINISHED, KILLED (pruned) or FAILED."""
    from mlflow.entities import RunStatus

    done = {TrialState.COMPLETE: RunStatus.FINISHED, TrialState.PRUNED: RunStatus.KILLED}
    return str(RunStatus.to_string(done.get(state, RunStatus.FAILED)))


def _tags(record: TrialRecord) -> dict[str, str]:
    tags = {"sweeps.study": record.study, "sweeps.trial": str(record.number)}
    tags["sweeps.state"] = record.state.name
    tags.update({key: text[:TAG_LENGTH] for key, text in record.texts.items()})
    if record.reason:
        tags["sweeps.reason"] = record.reason[:TAG_LENGTH]
    return tags


def _ms(moment: datetime | None) -> int:
    """Milliseconds since the epoch (now, where the trial has no such time)."""
    return int((moment or datetime.now()).timestamp() * 1000)


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
