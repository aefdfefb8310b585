"""AMD GPUs: amdsmi's energy accumulator (counter x resolution in microjoules)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sweeps.job.energy.counters import Reading, gpu_indices, start_library

_WRAP = 2**64  # the accumulator is a 64-bit count


class AmdSmiApi(Protocol):
    """The part of amdsmi read here; tests pass a fake."""

    def device_count(self) -> int: ...

    def energy_count(self, index: int) -> tuple[int, float]:
        """(counter, resolution in microjoules per count)."""
        ...


def _start(amdsmi: Any) -> list[Any]:
    amdsmi.amdsmi_init()
    return list(amdsmi.amdsmi_get_processor_handles())


class _AmdSmi:
    def __init__(self) -> None:
        self._amdsmi, self._handles = start_library("amdsmi", "amdsmi", _start)

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
        self.devices = gpu_indices(devices, self._api.device_count(), "amdsmi")

    def read(self) -> Reading:
        joules, wraps = {}, {}
        for index in self.devices:
            counter, resolution_uj = self._api.energy_count(index)
            joules[f"gpu{index}"] = counter * resolution_uj / 1e6
            wraps[f"gpu{index}"] = _WRAP * resolution_uj / 1e6
        return Reading(joules, wraps)
