"""What metering a trial's energy costs the trial: the same CPU-bound work with and without a
TrialMeter around it, interleaved, on a RAPL tree in the real file format (a fixture tree, so
it runs anywhere; reading sysfs files costs the same kind of syscalls).

    python benchmarks/energy_overhead.py [--work-s 0.2] [--repeats 7]

Prints the median work time without and with the meter, their ratio (target: 1.00 within the
noise), and the meter's own start+stop cost in microseconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from sweeps.job.energy.trial import TrialMeter


def rapl_tree(root: Path) -> None:
    """A two-socket package+DRAM powercap tree."""
    for socket in (0, 1):
        zone = root / f"intel-rapl:{socket}"
        dram = zone / f"intel-rapl:{socket}:0"
        dram.mkdir(parents=True)
        for path, name in ((zone, f"package-{socket}"), (dram, "dram")):
            (path / "name").write_text(f"{name}\n")
            (path / "energy_uj").write_text("123456789\n")
            (path / "max_energy_range_uj").write_text("262143328850\n")


def work(seconds: float) -> None:
    """Busy the CPU for about ``seconds`` (a stand-in for a trial's objective)."""
    end = time.perf_counter() + seconds
    total = 0
    while time.perf_counter() < end:
        total += sum(range(1000))


def timed(seconds: float, metered: bool) -> float:
    began = time.perf_counter()
    if metered:
        with TrialMeter():
            work(seconds)
    else:
        work(seconds)
    return time.perf_counter() - began


def meter_cost_us(rounds: int = 200) -> float:
    """The median start+stop of a meter around nothing."""
    costs = []
    for _ in range(rounds):
        began = time.perf_counter()
        with TrialMeter():
            pass
        costs.append(time.perf_counter() - began)
    return statistics.median(costs) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-s", type=float, default=0.2)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rapl_tree(Path(tmp))
        os.environ["SWEEPS_RAPL_ROOT"] = tmp
        os.environ["SWEEPS_PM_COUNTERS_ROOT"] = str(Path(tmp) / "absent")
        with TrialMeter() as probe:
            pass
        assert probe.energy is not None, probe.reason
        plain, metered = [], []
        for _ in range(args.repeats):
            plain.append(timed(args.work_s, metered=False))
            metered.append(timed(args.work_s, metered=True))
        cost = meter_cost_us()
    base, with_meter = statistics.median(plain), statistics.median(metered)
    print(
        "| trial work | without meter (median) | with meter (median) | ratio | meter start+stop |"
    )
    print("| --- | --- | --- | --- | --- |")
    print(
        f"| {args.work_s:.2f} s x {args.repeats} | {base:.4f} s | {with_meter:.4f} s "
        f"| {with_meter / base:.3f} | {cost:.0f} us |"
    )


if __name__ == "__main__":
    main()
