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

    python benchmarks/dag.py [--quick] [--baseline DIR] [--json FILE]

``--quick`` measures only the dry runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

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
    start = time.perf_counter()
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
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"snakemake {' '.join(args)} in {root}: {output[-3000:]}")
    return wall, usage.ru_maxrss // 1024, output


def dry_runs(tmp: Path, versions: dict[str, Path]) -> list[dict[str, Any]]:
    rows = []
    for parallelism in PARALLELISM:
        for size in SIZES:
            for name, checkout in versions.items():
                root = project(
                    tmp / f"dry-{name}-{parallelism}-{size}",
                    checkout,
                    sweep(size, parallelism, 0.0, "job"),
                )
                wall, rss, output = snakemake(root, checkout, "-n", "--cores", "2")
                jobs = int(output.split("\ntotal", 1)[1].split()[0])
                row = {"code": name, "lanes_in_flight": parallelism, "slots": size}
                rows.append({**row, "wall_s": wall, "rss_mb": rss, "jobs": jobs})
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def default_path(tmp: Path, versions: dict[str, Path]) -> list[dict[str, Any]]:
    rows = []
    for mode in ("job", "warm"):
        for name, checkout in versions.items():
            walls = {}
            for n in DEFAULT_TRIALS:
                spec = sweep(n, 2, TRIAL_S, mode)
                root = project(tmp / f"default-{name}-{mode}-{n}", checkout, spec)
                walls[n] = snakemake(root, checkout, "--cores", "2")[0]
            low, high = DEFAULT_TRIALS
            cost = (walls[high] - walls[low]) * 2 / (high - low) - TRIAL_S
            row = {"code": name, "mode": mode, "walls_s": walls, "cost_per_trial_s": cost}
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


def lane_ms(tmp: Path, slots: int = 100) -> float:
    """Mean ms per slot of one lane of near-zero trials, in a process of its own."""
    root = tmp / "lane"
    root.mkdir()
    sys.path.insert(0, str(REPO / "benchmarks"))
    from scale import write_spec  # the study of benchmarks/scale.py: TPE on 3 parameters

    write_spec(root, f"sqlite:///{root}/lane.db", "lane", slots)
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[1]);"
        "from scale import install_instant_mode; install_instant_mode();"
        "from pathlib import Path; from sweeps.spec import load_spec;"
        "from sweeps.study import prepare_study;"
        "from sweeps.controller.lane_job import run_lane_job;"
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


def dry_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| code | in flight | slots | jobs | `snakemake -n` s | x 1,000 slots | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    first = {(r["code"], r["lanes_in_flight"]): r for r in rows if r["slots"] == min(SIZES)}
    for r in rows:
        ratio = r["wall_s"] / first[(r["code"], r["lanes_in_flight"])]["wall_s"]
        lines.append(
            f"| {r['code']} | {r['lanes_in_flight']} | {r['slots']:,} | {r['jobs']:,} | "
            f"{r['wall_s']:.1f} | {ratio:.2f}x | {r['rss_mb']} |"
        )
    return "\n".join(lines)


def default_table(rows: list[dict[str, Any]]) -> str:
    low, high = DEFAULT_TRIALS
    lines = [
        f"| code | mode | {low} trials s | {high} trials s | cost per trial s | x job mode |",
        "|---|---|---:|---:|---:|---:|",
    ]
    job = {r["code"]: r["cost_per_trial_s"] for r in rows if r["mode"] == "job"}
    for r in rows:
        lines.append(
            f"| {r['code']} | {r['mode']} | {r['walls_s'][low]:.1f} | {r['walls_s'][high]:.1f} | "
            f"{r['cost_per_trial_s']:.2f} | {r['cost_per_trial_s'] / job[r['code']]:.0%} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="only the dry runs")
    parser.add_argument("--baseline", type=Path, default=None, help="another checkout, first")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    versions = {"this": REPO}
    if args.baseline:
        versions = {"baseline": args.baseline.resolve(), **versions}
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["dry_run"] = dry_runs(Path(tmp), versions)
        print(dry_table(results["dry_run"]))
        results["lane_ms"] = lane_ms(Path(tmp))
        print(makespan_line(results["dry_run"], results["lane_ms"]))
        if not args.quick:
            results["default_path"] = default_path(Path(tmp), versions)
            print(default_table(results["default_path"]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
