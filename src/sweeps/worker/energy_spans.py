"""When each packed trial ran on a shared device, so each gets its share of the device's energy.

The lanes that share one device (a GPU, or the CPU of a GPU-less worker) append to one file:
``<trial number> start|end <epoch seconds>`` per line. A trial's share of the joules its device
used over its run is cut by :func:`split_by_overlap` with the other trials' spans.
"""

from __future__ import annotations

import os
from pathlib import Path

from sweeps.job.devices import visible_devices
from sweeps.job.energy import split_by_overlap
from sweeps.job.energy.trial import Share
from sweeps.spec import SweepSpec


def shared_device_spans(spec: SweepSpec, folder: Path, worker_id: str) -> DeviceSpans | None:
    """The span log of this lane's device when lanes share it, else None."""
    if spec.dispatch.warm.trials_per_gpu < 2:
        return None
    devices = visible_devices() if spec.resources.gpus else []
    device = f"gpu{devices[0]}" if devices else "cpu"
    return DeviceSpans(folder / f"{worker_id}.energy.{device}.spans")


class DeviceSpans:
    """The trials' start and end times on one device, in a file its lanes append to."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def mark(self, number: int, event: str, at: float) -> None:
        """Append one line (a single short write: lanes' lines never interleave)."""
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, f"{number} {event} {at:.6f}\n".encode())
        finally:
            os.close(fd)

    def spans(self, until: float) -> dict[int, tuple[float, float]]:
        """Each trial's (start, end); one still running ends at ``until``."""
        starts: dict[int, float] = {}
        ends: dict[int, float] = {}
        for line in self.path.read_text().splitlines() if self.path.is_file() else []:
            number, event, at = line.split()
            (starts if event == "start" else ends)[int(number)] = float(at)
        return {n: (start, ends.get(n, until)) for n, start in starts.items()}

    def share(self, number: int) -> Share:
        """Trial ``number``'s part of the joules its device used over its own run."""

        def part(joules: float, window: tuple[float, float]) -> float:
            spans = self.spans(until=window[1])
            spans[number] = window
            return split_by_overlap(joules, window, spans)[number]

        return part
