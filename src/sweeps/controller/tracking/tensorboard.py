"""TensorBoard: each trial a run directory with its own event file, written with
TensorBoard's own event writer (no torch, no TensorFlow); its parameters in the HParams tab."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from optuna.trial import FrozenTrial, TrialState

from sweeps.controller.tracking.base import Tracker
from sweeps.controller.tracking.record import TrialRecord
from sweeps.spec import SweepSpec
from sweeps.spec.paths import SweepPaths

STATE = "state"
"""The hyperparameter that holds the trial's state (COMPLETE, PRUNED or FAIL)."""


class TensorboardTracker(Tracker):
    """``tracking: {tensorboard: {dir}}``."""

    name = "tensorboard"
    package = "tensorboard"

    def log_trial(self, spec: SweepSpec, trial: FrozenTrial) -> None:
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import Summary
        from tensorboard.summary.writer.event_file_writer import EventFileWriter

        record = TrialRecord.of(spec, trial)
        start, end = (t.timestamp() if t else time.time() for t in (record.start, record.end))
        writer = EventFileWriter(str(log_dir(spec) / record.run_name))
        try:
            writer.add_event(Event(wall_time=start, summary=_session_start(record, start)))
            for step, value in record.steps:
                scalar = Summary.Value(tag=record.series, simple_value=value)
                writer.add_event(Event(wall_time=end, step=step, summary=Summary(value=[scalar])))
            finals = {**record.values, **record.numbers}
            scalars = [Summary.Value(tag=k, simple_value=v) for k, v in finals.items()]
            writer.add_event(
                Event(wall_time=end, step=record.last_step, summary=Summary(value=scalars))
            )
            writer.add_event(Event(wall_time=end, summary=_session_end(record, end)))
        finally:
            writer.close()


def log_dir(spec: SweepSpec) -> Path:
    """The sweep's TensorBoard log directory: ``dir``, else ``results/<study>/tensorboard``."""
    settings = spec.tracking.tensorboard if spec.tracking else None
    assert settings is not None, "the sweep does not track to TensorBoard"
    return Path(settings.dir) if settings.dir else SweepPaths.of(spec).root / "tensorboard"


def _session_start(record: TrialRecord, start: float) -> Any:
    """The trial's parameters, text facts and state as the run's hyperparameters."""
    from tensorboard.plugins.hparams import metadata
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData, SessionStartInfo

    info = SessionStartInfo(group_name=record.run_name, start_time_secs=start)
    for key, value in {**record.params, **record.texts, STATE: record.state.name}.items():
        if isinstance(value, bool):
            info.hparams[key].bool_value = value
        elif isinstance(value, int | float):
            info.hparams[key].number_value = float(value)
        else:
            info.hparams[key].string_value = str(value)
    data = HParamsPluginData(session_start_info=info)
    return _hparams_summary(metadata.SESSION_START_INFO_TAG, data)


def _session_end(record: TrialRecord, end: float) -> Any:
    from tensorboard.plugins.hparams import api_pb2, metadata
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData, SessionEndInfo

    status = {
        TrialState.COMPLETE: api_pb2.STATUS_SUCCESS,
        TrialState.FAIL: api_pb2.STATUS_FAILURE,
    }.get(record.state, api_pb2.STATUS_UNKNOWN)
    info = SessionEndInfo(status=status, end_time_secs=end)
    data = HParamsPluginData(session_end_info=info)
    return _hparams_summary(metadata.SESSION_END_INFO_TAG, data)


def _hparams_summary(tag: str, data: Any) -> Any:
    """A summary the HParams plugin reads (as torch's SummaryWriter.add_hparams writes it)."""
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.plugins.hparams import metadata

    value = Summary.Value(
        tag=tag, metadata=metadata.create_summary_metadata(data), tensor=metadata.NULL_TENSOR
    )
    return Summary(value=[value])
