"""The Snakemake side of a sweep as it grows: DAG build and orchestration cost per trial.

Measured in one run, for this checkout and, with ``--baseline``, another one (its
``Snakefile``, ``workflow/`` and ``src/``: e.g. ``git archive <commit> | tar -x -C DIR``):

- dry run:  ``snakemake -n --cores 2`` of a sweep of 1,000 and 10,000 slots (parallelism 2
            and 64): wall time, peak RSS, and the number of jobs in the DAG. A dry run builds
            the DAG and passes every job through the scheduler, so at 64 lanes its wall time is
            the DAG build plus scheduling overhead of the sweep;
- default:  a bare ``snakemake --cores 2`` (controllers as processes) of one-second trials two
            at a time, 8 and 24 trials, in job and warm mode. The marginal orchestration cost
            per trial cancels the fixed start-up: ``(T24 - T8) * 2 / 16 - 1 s`` lane-seconds
            per trial beyond the trial's own second;
- lane:     a lane's cost per near-zero trial, this checkout only: ``run_lane_job`` over
            100 slots in one process, SQLite, TPE on 3 parameters, with a dispatch mode that
            ends each trial at once (the study and mode of benchmarks/scale.py). The ideal
            makespan of 10,000 such trials on 64 lanes is that cost x 10,000 / 64; the
            overhead is the 10,000-slot dry run at 64 in flight.

    python benchmarks/dag.py [--quick] [--baseline DIR] [--repeat N] [--json FILE] [--out PATH]

``--quick`` measures only the dry runs. ``--repeat N`` measures everything N times (rounds
interleaved, fresh scratch projects) and reports medians.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from _harness import Benchmark, Table, median_row, timer

REPO = Path(__file__).resolve().parents[1]
SIZES = (1000, 10000)
PARALLELISM = (2, 64)
DEFAULT_TRIALS = (8, 24)
TRIAL_S = 1.0


def sweep(n_trials: int, parallelism: int, seconds: float, mode: str) -> dict[str, Any]:
    return {
        "study": "dag",
        "objective": {"function": "sweeps.objectives.toy:sleep", "args": {"seconds": seconds}},
        "direction": "minimize",
        "space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "sampler": {"name": "RandomSampler"},
        "budget": {"n_trials": n_trials},
        "parallelism": parallelism,
        "seed": 0,
        "resources": {"cpus": 1, "time_min": 5},
        "dispatch": {"mode": mode, "poll_interval_s": 0.1},
    }


def project(root: Path, checkout: Path, spec: dict[str, Any]) -> Path:
    """A scratch copy of ``checkout``'s workflow whose default sweep is ``spec``."""
    root.mkdir(parents=True)
    shutil.copy(checkout / "Snakefile", root / "Snakefile")
    shutil.copytree(checkout / "workflow", root / "workflow", symlinks=False)
    (root / "config" / "sweeps").mkdir(parents=True)
    (root / "config" / "sweeps" / "default.yaml").write_text(yaml.safe_dump(spec))
    config = {"sweep": "config/sweeps/default.yaml", "site": None, "force": False}
    (root / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    return root


def snakemake(root: Path, checkout: Path, *args: str) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (MB) and output of ``snakemake ARGS`` with ``checkout``'s code."""
    env = {**os.environ, "PYTHONPATH": str(checkout / "src")}
    with timer() as clock:
        proc = subprocess.Popen(
            [sys.executable, "-m", "snakemake", *args],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert proc.stdout is not None
        output = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
    wall = clock.seconds
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"snakemake {' '.join(args)} in {root}: {output[-3000:]}")
    return wall, usage.ru_maxrss // 1024, output


def dry_runs(tmp: Path, versions: dict[str, Path], repeats: int = 1) -> list[dict[str, Any]]:
    """Each dry run ``repeats`` times (rounds interleaved); the median of each figure."""
    runs: dict[tuple[str, int, int], list[dict[str, Any]]] = {}
    for round_ in range(repeats):
        for parallelism in PARALLELISM:
            for size in SIZES:
                for name, checkout in versions.items():
                    root = project(
                        tmp / f"dry-{name}-{parallelism}-{size}-{round_}",
                        checkout,
                        sweep(size, parallelism, 0.0, "job"),
                    )
                    wall, rss, output = snakemake(root, checkout, "-n", "--cores", "2")
                    jobs = int(output.split("\ntotal", 1)[1].split()[0])
                    row = {"code": name, "lanes_in_flight": parallelism, "slots": size}
                    row.update({"wall_s": wall, "rss_mb": rss, "jobs": jobs})
                    runs.setdefault((name, parallelism, size), []).append(row)
                    print(json.dumps(row), file=sys.stderr, flush=True)
    return [
        {**median_row(rows), "wall_min_s": min(r["wall_s"] for r in rows)} for rows in runs.values()
    ]


def default_path(tmp: Path, versions: dict[str, Path], repeats: int = 1) -> list[dict[str, Any]]:
    """The orchestration cost per trial, ``repeats`` times (rounds interleaved); medians."""
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    low, high = DEFAULT_TRIALS
    for round_ in range(repeats):
        for mode in ("job", "warm"):
            for name, checkout in versions.items():
                walls = {}
                for n in DEFAULT_TRIALS:
                    spec = sweep(n, 2, TRIAL_S, mode)
                    root = project(tmp / f"default-{name}-{mode}-{n}-{round_}", checkout, spec)
                    walls[n] = snakemake(root, checkout, "--cores", "2")[0]
                cost = (walls[high] - walls[low]) * 2 / (high - low) - TRIAL_S
                row = {"code": name, "mode": mode, "walls_s": walls, "cost_per_trial_s": cost}
                runs.setdefault((name, mode), []).append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
    out = []
    for rows in runs.values():
        walls = {n: median_row([r["walls_s"] for r in rows])[n] for n in DEFAULT_TRIALS}
        costs = [r["cost_per_trial_s"] for r in rows]
        out.append({**median_row(rows), "walls_s": walls, "cost_min_s": min(costs)})
    return out


def lane_ms(tmp: Path, slots: int = 100, round_: int = 0) -> float:
    """Mean ms per slot of one lane of near-zero trials, in a process of its own."""
    root = tmp / f"lane-{round_}"
    root.mkdir()
    sys.path.insert(0, str(REPO / "benchmarks"))
    from scale import write_spec  # the study of benchmarks/scale.py: TPE on 3 parameters

    write_spec(root, f"sqlite:///{root}/lane.db", "lane", slots)
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[1]);"
        "from scale import install_instant_mode; install_instant_mode();"
        "from pathlib import Path; from sweeps.spec import load_spec;"
        "from sweeps.study import prepare_study;"
        "from sweeps.controller.lanes import run_lane_job;"
        "s = load_spec(Path('lane.yaml')); prepare_study(s); t = time.perf_counter();"
        "run_lane_job(s, 0, 1); print((time.perf_counter() - t) * 1000 / s.budget.n_trials)"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run(
        [sys.executable, "-c", code, str(REPO / "benchmarks")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return float(done.stdout.split()[-1])


def makespan_line(rows: list[dict[str, Any]], per_trial_ms: float) -> str:
    dry = next(
        r
        for r in rows
        if r["code"] == "this" and r["lanes_in_flight"] == 64 and r["slots"] == 10000
    )
    ideal = per_trial_ms / 1000 * 10000 / 64
    return (
        f"lane: {per_trial_ms:.0f} ms per near-zero trial; ideal makespan of 10,000 trials on 64 "
        f"lanes {ideal:.1f} s; DAG build + scheduling (dry run) {dry['wall_s']:.1f} s = "
        f"{dry['wall_s'] / ideal:.0%} of it"
    )


def dry_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(
        [
            "code",
            "in flight",
            "slots",
            "jobs",
            "`snakemake -n` s",
            "min s",
            "x 1,000 slots",
            "peak RSS MB",
        ],
        title="dry run",
        align="lrrrrrrr",
    )
    first = {(r["code"], r["lanes_in_flight"]): r for r in rows if r["slots"] == min(SIZES)}
    for r in rows:
        ratio = r["wall_s"] / first[(r["code"], r["lanes_in_flight"])]["wall_s"]
        table.add(
            r["code"],
            r["lanes_in_flight"],
            f"{r['slots']:,}",
            f"{r['jobs']:,}",
            f"{r['wall_s']:.1f}",
            f"{r['wall_min_s']:.1f}",
            f"{ratio:.2f}x",
            f"{r['rss_mb']:.0f}",
        )
    return table


def default_table(rows: list[dict[str, Any]]) -> Table:
    low, high = DEFAULT_TRIALS
    table = Table(
        [
            "code",
            "mode",
            f"{low} trials s",
            f"{high} trials s",
            "cost per trial s",
            "min cost s",
            "x job mode",
        ],
        title="default path",
        align="llrrrrr",
    )
    job = {r["code"]: r["cost_per_trial_s"] for r in rows if r["mode"] == "job"}
    for r in rows:
        table.add(
            r["code"],
            r["mode"],
            f"{r['walls_s'][low]:.1f}",
            f"{r['walls_s'][high]:.1f}",
            f"{r['cost_per_trial_s']:.2f}",
            f"{r['cost_min_s']:.2f}",
            f"{r['cost_per_trial_s'] / job[r['code']]:.0%}",
        )
    return table


def main(argv: list[str] | None = None) -> int:
    bench = Benchmark(
        __doc__, __file__, repeat_help="rounds of every measurement; medians", json_out=True
    )
    bench.add_argument("--quick", action="store_true", help="only the dry runs")
    bench.add_argument("--baseline", type=Path, default=None, help="another checkout, first")
    args = bench.parse(argv)
    versions = {"this": REPO}
    if args.baseline:
        versions = {"baseline": args.baseline.resolve(), **versions}
    results: dict[str, Any] = {}
    parts: list[Table | str] = []
    with tempfile.TemporaryDirectory() as tmp:
        results["dry_run"] = dry_runs(Path(tmp), versions, args.repeat)
        parts.append(dry_table(results["dry_run"]))
        lanes = [lane_ms(Path(tmp), round_=r) for r in range(args.repeat)]
        results["lane_ms"] = statistics.median(lanes)
        parts.append(makespan_line(results["dry_run"], results["lane_ms"]))
        if not args.quick:
            results["default_path"] = default_path(Path(tmp), versions, args.repeat)
            parts.append(default_table(results["default_path"]))
    bench.report(*parts, figures=results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
