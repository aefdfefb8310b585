"""Scalars a command writes as TensorBoard events: ``objective.metrics_from.tensorboard``.

Read with TensorBoard's own ``EventAccumulator`` (the ``tensorboard`` extra), polled while the
command runs: each new event of a tag is a ``(step, value)``. Scalars written by
``torch.utils.tensorboard`` (simple values) and by ``tensorboard.summary`` or
``tf.summary`` (scalar tensors) both count. Events older than the command's start (an earlier
run that wrote to the same directory) are left out.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from sweeps import __distribution__
from sweeps.spec import SweepSpec

EXTRA = f'pip install "{__distribution__}[tensorboard]"'


def check_tensorboard(spec: SweepSpec, must_find: bool) -> str | None:
    """Raise ``ValueError`` naming the setting and the extra to install when the sweep reads
    TensorBoard events and the ``tensorboard`` package is missing here, where ``must_find``
    (trials run on this machine); else return a note saying so (or None)."""
    read = spec.objective.metrics_from
    if read is None or read.tensorboard is None:
        return None
    if importlib.util.find_spec("tensorboard") is not None:
        return None
    board = read.tensorboard.model_dump()
    problem = f"objective.metrics_from.tensorboard = {board!r} needs the tensorboard package"
    if must_find:
        raise ValueError(f"{problem}: {EXTRA} brings it")
    return f"{problem}, missing here ({EXTRA}); the trials' own environment must provide it"


class TensorBoardScalars:
    """The scalar events of some tags in one directory, read as they are written."""

    def __init__(self, directory: Path, tags: list[str], since: float) -> None:
        self.directory, self.tags, self.since = directory, tags, since
        self._accumulator: Any = None
        self._seen: dict[str, int] = dict.fromkeys(tags, 0)
        self.last: dict[str, float] = {}  # tag -> its last value (this run's)
        self.found_tags: list[str] = []

    def poll(self) -> list[tuple[str, int, float]]:
        """``(tag, step, value)`` for each event written since the last poll."""
        accumulator = self._open()
        if accumulator is None:
            return []
        accumulator.Reload()
        tags = accumulator.Tags()
        self.found_tags = sorted({*tags.get("scalars", []), *tags.get("tensors", [])})
        new: list[tuple[str, int, float]] = []
        for tag in self.tags:
            events = _events(accumulator, tag, tags)
            for wall_time, step, value in events[self._seen[tag] :]:
                if wall_time >= self.since:
                    new.append((tag, step, value))
                    self.last[tag] = value
            self._seen[tag] = len(events)
        return new

    def _open(self) -> Any:
        if self._accumulator is None and self.directory.is_dir():
            from tensorboard.backend.event_processing import event_accumulator as ea

            guidance = {ea.SCALARS: 0, ea.TENSORS: 0}  # keep every event (0: no sampling)
            self._accumulator = ea.EventAccumulator(
                str(self.directory), size_guidance=guidance, purge_orphaned_data=False
            )
        return self._accumulator


def _events(accumulator: Any, tag: str, tags: dict[str, Any]) -> list[tuple[float, int, float]]:
    """A tag's events as ``(wall_time, step, value)``, simple values or scalar tensors."""
    if tag in tags.get("scalars", []):
        return [(e.wall_time, int(e.step), float(e.value)) for e in accumulator.Scalars(tag)]
    if tag not in tags.get("tensors", []):
        return []
    from tensorboard.util import tensor_util

    found = []
    for event in accumulator.Tensors(tag):
        array = tensor_util.make_ndarray(event.tensor_proto)
        if array.size == 1 and array.dtype.kind in "fiu":
            found.append((event.wall_time, int(event.step), float(array.reshape(()))))
    return found
