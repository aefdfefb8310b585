"""AMD GPUs: amdsmi's energy accumulator (counter x resolution in microjoules)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sweeps.job.energy.counters import NotMeasurable, Reading

_WRAP = 2**64  # the accumulator is a 64-bit count


class AmdSmiApi(Protocol):
    """The part of amdsmi read here; tests pass a fake."""

    def device_count(self) -> int: ...

    def energy_count(self, index: int) -> tuple[int, float]:
        """(counter, resolution in microjoules per count)."""
        ...


class _AmdSmi:
    def __init__(self) -> None:
        try:
            import amdsmi
        except ImportError:
            raise NotMeasurable("amdsmi is not installed") from None
        try:
            amdsmi.amdsmi_init()
            self._handles = amdsmi.amdsmi_get_processor_handles()
        except Exception as err:
            raise NotMeasurable(f"amdsmi did not start: {err}") from None
        self._amdsmi: Any = amdsmi

    def device_count(self) -> int:
        return len(self._handles)

    def energy_count(self, index: int) -> tuple[int, float]:
        info = self._amdsmi.amdsmi_get_energy_count(self._handles[index])
        counter = info.get("energy_accumulator", info.get("power"))
        return int(counter), float(info["counter_resolution"])


class AmdSmiCounter:
    """The energy of the GPUs this trial sees (amdsmi indices; ``gpu<N>`` components)."""

    name = "amdsmi"

    def __init__(self, devices: Sequence[int] | None = None, api: AmdSmiApi | None = None) -> None:
        self._api = api or _AmdSmi()
        count = self._api.device_count()
        if count == 0:
            raise NotMeasurable("amdsmi sees no GPU")
        self.devices = list(devices) if devices is not None else list(range(count))

    def read(self) -> Reading:
        joules, wraps = {}, {}
        for index in self.devices:
            counter, resolution_uj = self._api.energy_count(index)
            joules[f"gpu{index}"] = counter * resolution_uj / 1e6
            wraps[f"gpu{index}"] = _WRAP * resolution_uj / 1e6
        return Reading(joules, wraps)
