"""What metering a trial's energy costs the trial: the same CPU-bound work with and without a
TrialMeter around it, interleaved, on a RAPL tree in the real file format (a fixture tree, so
it runs anywhere; reading sysfs files costs the same kind of syscalls).

    python benchmarks/energy_overhead.py [--work-s 0.2] [--repeat 7] [--out PATH]

Prints the median work time without and with the meter, their ratio (target: 1.00 within the
noise), and the meter's own start+stop cost in microseconds.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from _harness import Benchmark, Table, Timing, repeat, timed, timer

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


def work_s(seconds: float, metered: bool) -> float:
    """Wall seconds of the work, with or without a meter around it."""
    if not metered:
        return timed(lambda: work(seconds))[0]
    with timer() as clock, TrialMeter():
        work(seconds)
    return clock.seconds


def meter_around_nothing() -> None:
    with TrialMeter():
        pass


def main(argv: list[str] | None = None) -> int:
    bench = Benchmark(
        __doc__,
        __file__,
        repeat=7,
        repeat_aliases=("--repeats",),
        repeat_help="interleaved rounds of the work without and with the meter",
    )
    bench.add_argument("--work-s", type=float, default=0.2, help="seconds of work per round")
    args = bench.parse(argv)
    with tempfile.TemporaryDirectory() as tmp:
        rapl_tree(Path(tmp))
        os.environ["SWEEPS_RAPL_ROOT"] = tmp
        os.environ["SWEEPS_PM_COUNTERS_ROOT"] = str(Path(tmp) / "absent")
        with TrialMeter() as probe:
            pass
        assert probe.energy is not None, probe.reason
        plain, metered = [], []
        for _ in range(args.repeat):
            plain.append(work_s(args.work_s, metered=False))
            metered.append(work_s(args.work_s, metered=True))
        cost = repeat(meter_around_nothing, 200)
    base, with_meter = Timing(tuple(plain)), Timing(tuple(metered))
    table = Table(
        [
            "trial work",
            "without meter (median)",
            "with meter (median)",
            "ratio",
            "meter start+stop (median)",
            "without meter (min)",
            "with meter (min)",
        ]
    )
    table.add(
        f"{args.work_s:.2f} s x {args.repeat}",
        f"{base.median:.4f} s",
        f"{with_meter.median:.4f} s",
        f"{with_meter.median / base.median:.3f}",
        f"{cost.median * 1e6:.0f} us",
        f"{base.min:.4f} s",
        f"{with_meter.min:.4f} s",
    )
    figures = {"plain_s": plain, "metered_s": metered, "meter_start_stop_s": cost.median}
    bench.report(table, figures=figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
