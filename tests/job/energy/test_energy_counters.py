"""Energy counter readers against fixture trees in the real interfaces' file formats.

NVML and amdsmi are native libraries this machine lacks: they are replaced by fakes behind the
readers' narrow API seam (NvmlApi, AmdSmiApi); the sysfs readers read real files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sweeps.job.energy import EnergyMeter, NotMeasurable, Reading, find_counter
from sweeps.job.energy.amd import AmdSmiCounter
from sweeps.job.energy.nvml import NvmlCounter
from sweeps.job.energy.pm_counters import PmCounters
from sweeps.job.energy.rapl import RaplCounter


def pm_tree(root: Path, node: float, cpu: float, mem: float, accel: dict[int, float]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    stamp = "1733011200123456 us"
    (root / "energy").write_text(f"{node:.0f} J {stamp}\n")
    (root / "cpu_energy").write_text(f"{cpu:.0f} J {stamp}\n")
    (root / "memory_energy").write_text(f"{mem:.0f} J {stamp}\n")
    (root / "power").write_text("812 W 1733011200123456 us\n")
    (root / "freshness").write_text("4211\n")
    for n, joules in accel.items():
        (root / f"accel{n}_energy").write_text(f"{joules:.0f} J {stamp}\n")
    return root


def rapl_tree(root: Path, package_uj: int, dram_uj: int, max_uj: int) -> Path:
    zone = root / "intel-rapl:0"
    dram = zone / "intel-rapl:0:0"
    dram.mkdir(parents=True, exist_ok=True)
    (zone / "name").write_text("package-0\n")
    (zone / "energy_uj").write_text(f"{package_uj}\n")
    (zone / "max_energy_range_uj").write_text(f"{max_uj}\n")
    (dram / "name").write_text("dram\n")
    (dram / "energy_uj").write_text(f"{dram_uj}\n")
    (dram / "max_energy_range_uj").write_text(f"{max_uj}\n")
    return root


def test_pm_counters_reads_the_trials_accelerators_and_the_node(tmp_path: Path) -> None:
    root = pm_tree(tmp_path / "pm", 1000, 300, 50, {0: 100, 1: 200, 2: 999})
    meter = EnergyMeter(PmCounters([1], root=root))
    meter.start()
    pm_tree(root, 1600, 400, 60, {0: 100, 1: 520, 2: 999})
    energy = meter.stop()
    assert energy.source == "pm_counters"
    assert energy.joules == {"node": 600, "cpu": 100, "memory": 10, "accel1": 320}
    assert energy.total_j == 600  # the node counter already holds the others


def test_pm_counters_refuses_a_line_in_another_format(tmp_path: Path) -> None:
    root = pm_tree(tmp_path / "pm", 1000, 300, 50, {})
    (root / "cpu_energy").write_text("300 W 1733011200123456 us\n")
    with pytest.raises(NotMeasurable, match="cpu_energy"):
        PmCounters(root=root).read()


def test_rapl_wraps_at_max_energy_range(tmp_path: Path) -> None:
    max_uj = 262_143_328_850
    root = rapl_tree(tmp_path / "powercap", max_uj - 5_000_000, 1_000_000, max_uj)
    meter = EnergyMeter(RaplCounter(root=root), sample_s=3600)
    meter.start()
    rapl_tree(root, 7_000_000, 3_500_000, max_uj)  # package wrapped: 5 J + 7 J
    energy = meter.stop()
    assert energy.source == "rapl"
    assert energy.joules["cpu0"] == pytest.approx(12.0)
    assert energy.joules["dram0"] == pytest.approx(2.5)


def test_rapl_samples_in_between_so_two_wraps_are_not_one(tmp_path: Path) -> None:
    max_uj = 10_000_000  # a 10 J range: the sampler must see each lap
    root = rapl_tree(tmp_path / "powercap", 0, 0, max_uj)
    meter = EnergyMeter(RaplCounter(root=root), sample_s=0.05)
    meter.start()
    for package_uj in (8_000_000, 4_000_000, 9_000_000, 3_000_000):  # 8 + 6 + 5 + 4 J
        rapl_tree(root, package_uj, 0, max_uj)
        _wait_for_a_sample(meter)
    assert meter.stop().joules["cpu0"] == pytest.approx(23.0)


def _wait_for_a_sample(meter: EnergyMeter) -> None:
    import time

    last = meter._last
    deadline = time.monotonic() + 5
    while meter._last is last and time.monotonic() < deadline:
        time.sleep(0.01)


def test_no_powercap_zone_is_not_measurable_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(NotMeasurable, match="no RAPL zones"):
        RaplCounter(root=tmp_path)


class FakeNvml:
    """Stands in for nvidia-ml-py (no NVIDIA driver in CI)."""

    def __init__(self, mj: list[int]) -> None:
        self.mj = mj

    def device_count(self) -> int:
        return len(self.mj)

    def total_energy_mj(self, index: int) -> int:
        return self.mj[index]


def test_nvml_reads_only_the_trials_gpus() -> None:
    nvml = FakeNvml([1_000, 50_000, 7_000])
    meter = EnergyMeter(NvmlCounter([1, 2], api=nvml))
    meter.start()
    nvml.mj = [9_000, 80_500, 7_250]
    energy = meter.stop()
    assert energy.source == "nvml"
    assert energy.joules == {"gpu1": 30.5, "gpu2": 0.25}


def test_a_counter_that_goes_backwards_without_a_wrap_is_not_measurable() -> None:
    nvml = FakeNvml([50_000])
    meter = EnergyMeter(NvmlCounter(api=nvml))
    meter.start()
    nvml.mj = [10]  # the driver reloaded during the trial
    with pytest.raises(NotMeasurable, match="went backwards"):
        meter.stop()


class FakeAmdSmi:
    """Stands in for amdsmi (no AMD GPU driver in CI)."""

    def __init__(self, counts: list[int], resolution_uj: float) -> None:
        self.counts = counts
        self.resolution_uj = resolution_uj

    def device_count(self) -> int:
        return len(self.counts)

    def energy_count(self, index: int) -> tuple[int, float]:
        return self.counts[index], self.resolution_uj


def test_amdsmi_scales_the_accumulator_by_its_resolution() -> None:
    amd = FakeAmdSmi([1_000_000, 0], 15.3)
    meter = EnergyMeter(AmdSmiCounter([0], api=amd), sample_s=3600)
    meter.start()
    amd.counts = [3_000_000, 5]
    energy = meter.stop()
    assert energy.joules == {"gpu0": pytest.approx(2_000_000 * 15.3 / 1e6)}


def test_find_counter_names_why_each_source_is_unusable_here() -> None:
    with pytest.raises(NotMeasurable) as err:
        find_counter([0], sources=["pm_counters"])
    assert "pm_counters:" in str(err.value)


def test_pm_counters_gives_up_when_freshness_never_settles(tmp_path: Path) -> None:
    """The counters are updated together; ``freshness`` changes when they are (Cray's rule)."""
    root = pm_tree(tmp_path / "pm", 1000, 300, 50, {})
    counter = PmCounters(root=root)
    ticks = iter(range(100))
    original = counter._read_all

    def read_while_updating() -> Reading:
        (root / "freshness").write_text(f"{next(ticks)}\n")
        return original()

    counter._read_all = read_while_updating  # type: ignore[method-assign]
    with pytest.raises(NotMeasurable, match="freshness"):
        counter.read()
