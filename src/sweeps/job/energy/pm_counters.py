"""HPE Cray nodes (LUMI): /sys/cray/pm_counters, lines of ``<value> J <timestamp> us``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sweeps.job.energy.counters import NotMeasurable, Reading

ROOT = Path("/sys/cray/pm_counters")
FRESHNESS_TRIES = 5
NODE_FILES = {"node": "energy", "cpu": "cpu_energy", "memory": "memory_energy"}


def read_joules(path: Path) -> float:
    """The joules in one pm_counters file (``123456 J 1700000000000000 us``)."""
    fields = path.read_text().split()
    if len(fields) < 2 or fields[1] != "J":
        raise NotMeasurable(f"{path}: expected '<value> J <timestamp> us', got {fields!r}")
    return float(fields[0])


class PmCounters:
    """Node, CPU, memory and (for the trial's GPUs) accelerator energy of a Cray node.

    On LUMI-G each ``accel<N>`` is one MI250X module (two GCDs): a trial on one GCD reads its
    module's counter, shared with whatever runs on the other GCD.
    """

    name = "pm_counters"

    def __init__(self, accels: Sequence[int] = (), root: Path = ROOT) -> None:
        if not (root / "energy").is_file():
            raise NotMeasurable(f"{root} is not there (not an HPE Cray node)")
        self.root = root
        self.files = {key: root / name for key, name in NODE_FILES.items()}
        self.files.update({f"accel{n}": root / f"accel{n}_energy" for n in accels})

    def read(self) -> Reading:
        """One consistent snapshot: re-read while ``freshness`` changed under the reads."""
        freshness = self.root / "freshness"
        for _ in range(FRESHNESS_TRIES):
            before = freshness.read_text() if freshness.is_file() else ""
            reading = self._read_all()
            if not before or freshness.read_text() == before:
                return reading
        raise NotMeasurable(f"{freshness} kept changing during {FRESHNESS_TRIES} reads")

    def _read_all(self) -> Reading:
        present = {key: path for key, path in self.files.items() if path.is_file()}
        return Reading({key: read_joules(path) for key, path in present.items()})
