"""A RAPL powercap tree in the real file format whose package counter advances with time."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sweeps.study.background import BackgroundLoop

MAX_UJ = 262_143_328_850  # a real package zone's max_energy_range_uj


class AdvancingRapl(BackgroundLoop):
    """``with AdvancingRapl(root, watts):`` a writer thread moves ``energy_uj`` on as a CPU
    drawing ``watts`` would, every ``tick_s``, wrapping at ``max_energy_range_uj``."""

    def __init__(self, root: Path, watts: float, start_uj: int = 0, tick_s: float = 0.01) -> None:
        self.root, self.watts, self.tick_s = root, watts, tick_s
        self.start_uj = start_uj
        self.zone = root / "intel-rapl:0"
        self.zone.mkdir(parents=True, exist_ok=True)
        (self.zone / "name").write_text("package-0\n")
        (self.zone / "max_energy_range_uj").write_text(f"{MAX_UJ}\n")
        self._began = time.monotonic()
        self._write(start_uj)
        super().__init__("advancing-rapl")

    def run(self) -> None:
        while not self.done.wait(self.tick_s):
            joules = self.watts * (time.monotonic() - self._began)
            self._write(int(self.start_uj + joules * 1e6) % MAX_UJ)

    def _write(self, uj: int) -> None:
        """Replace the file whole, so a reader never sees half a number."""
        tmp = self.zone / "energy_uj.tmp"
        tmp.write_text(f"{uj}\n")
        os.replace(tmp, self.zone / "energy_uj")
