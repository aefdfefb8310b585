"""NVIDIA GPUs: NVML's total energy counter (millijoules since the driver loaded)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sweeps.job.energy.counters import NotMeasurable, Reading, gpu_indices, start_library


class NvmlApi(Protocol):
    """The part of nvidia-ml-py read here; tests pass a fake."""

    def device_count(self) -> int: ...

    def total_energy_mj(self, index: int) -> int: ...


class _Pynvml:
    def __init__(self) -> None:
        self._nvml, _ = start_library("pynvml", "nvidia-ml-py", lambda nvml: nvml.nvmlInit())

    def device_count(self) -> int:
        return int(self._nvml.nvmlDeviceGetCount())

    def total_energy_mj(self, index: int) -> int:
        handle = self._nvml.nvmlDeviceGetHandleByIndex(index)
        return int(self._nvml.nvmlDeviceGetTotalEnergyConsumption(handle))


class NvmlCounter:
    """The energy of the GPUs this trial sees (NVML indices; ``gpu<N>`` components)."""

    name = "nvml"

    def __init__(self, devices: Sequence[int] | None = None, api: NvmlApi | None = None) -> None:
        self._api = api or _Pynvml()
        self.devices = gpu_indices(devices, self._api.device_count(), "NVML")

    def read(self) -> Reading:
        joules = {}
        for index in self.devices:
            try:
                joules[f"gpu{index}"] = self._api.total_energy_mj(index) / 1000.0
            except Exception as err:  # older GPUs have no energy counter
                raise NotMeasurable(f"NVML has no energy counter for GPU {index}: {err}") from None
        return Reading(joules)
