"""CPUs: RAPL through the powercap interface (energy_uj, wrapping at max_energy_range_uj)."""

from __future__ import annotations

from pathlib import Path

from sweeps.job.energy.counters import NotMeasurable, Reading

ROOT = Path("/sys/class/powercap")


class RaplCounter:
    """Package (and DRAM where present) energy of every socket: ``cpu<N>``, ``dram<N>``."""

    name = "rapl"

    def __init__(self, root: Path = ROOT) -> None:
        self.zones: dict[str, Path] = {}
        for zone in sorted(root.glob("intel-rapl:*")):
            if zone.name.count(":") == 1:
                socket = zone.name.split(":")[1]
                self.zones[f"cpu{socket}"] = zone
                for sub in sorted(zone.glob(f"intel-rapl:{socket}:*")):
                    if (sub / "name").is_file() and (sub / "name").read_text().strip() == "dram":
                        self.zones[f"dram{socket}"] = sub
        if not self.zones:
            raise NotMeasurable(f"no RAPL zones under {root}")
        try:
            self.read()
        except PermissionError:
            raise NotMeasurable(f"{root}: energy_uj is readable by root only here") from None

    def read(self) -> Reading:
        joules, wraps = {}, {}
        for key, zone in self.zones.items():
            joules[key] = int((zone / "energy_uj").read_text()) / 1e6
            wraps[key] = int((zone / "max_energy_range_uj").read_text()) / 1e6
        return Reading(joules, wraps)
