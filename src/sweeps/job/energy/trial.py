"""One trial's energy: the meter around its objective, and the facts it leaves on the trial."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from sweeps.job.energy.counters import NotMeasurable
from sweeps.job.energy.meter import Energy, EnergyMeter
from sweeps.job.energy.registry import find_counter
from sweeps.spec.facts import ENERGY_DEVICE_WH, ENERGY_NOT_MEASURED, ENERGY_SOURCE, ENERGY_WH

Share = Callable[[float, tuple[float, float]], float]
"""This trial's joules out of ``joules`` its device used over ``(start, end)`` (epoch seconds):
packed trials sharing the device split it by their overlap in time."""


class TrialMeter:
    """``with TrialMeter(gpus):`` around the objective; then :meth:`facts`.

    A node with no readable counter leaves the reason, never a number.
    """

    def __init__(self, gpus: Sequence[int] = (), share: Share | None = None) -> None:
        self.gpus = list(gpus)
        self.share = share
        self.energy: Energy | None = None
        self.reason: str | None = None
        self.window = (0.0, 0.0)
        self._meter: EnergyMeter | None = None

    def __enter__(self) -> TrialMeter:
        try:
            self._meter = EnergyMeter(find_counter(self.gpus))
            self._meter.start()
        except NotMeasurable as err:
            self._meter, self.reason = None, f"no energy counter readable here: {err}"
        self.window = (time.time(), 0.0)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.window = (self.window[0], time.time())
        if self._meter is None:
            return
        try:
            self.energy = self._meter.stop()
        except NotMeasurable as err:
            self.reason = f"{self._meter.counter.name}: {err}"

    @property
    def wh(self) -> float | None:
        """This trial's watt-hours (its share, when packed), or None when not measured."""
        if self.energy is None:
            return None
        joules = self.energy.total_j
        if self.share is not None:
            joules = self.share(joules, self.window)
        return joules / 3600.0

    def facts(self) -> dict[str, Any]:
        """:data:`ENERGY_WH` and :data:`ENERGY_SOURCE` (and the device's whole figure when
        shared), or :data:`ENERGY_NOT_MEASURED` with the reason."""
        wh = self.wh
        if self.energy is None or wh is None:
            return {ENERGY_NOT_MEASURED.key: self.reason or "not measured"}
        facts: dict[str, Any] = {
            ENERGY_WH.key: round(wh, 6),
            ENERGY_SOURCE.key: self.energy.source,
        }
        if self.share is not None:
            facts[ENERGY_DEVICE_WH.key] = round(self.energy.wh, 6)
        return facts
