"""Data staged once per node against every trial reading the shared file system.

    python benchmarks/data_staging.py [--files 10000] [--file-kib 4] [--trials 8]
        [--parallel 2] [--shared PATH] [--to PATH] [--repeat 1] [--out PATH]

Makes a data set of ``--files`` small files on ``--shared`` (on a cluster: a Lustre
directory; by default a temporary directory here) and runs ``--trials`` trials, each a
process of its own, ``--parallel`` at a time, each reading every file of it:

1. baseline: straight from the shared path;
2. staged: through ``sweeps.job.staging.stage_data`` to ``--to`` (node-local; by default a
   temporary directory), which the first trial copies (timed with the case) and the others
   reuse, then from the copy.

Reports wall seconds of all trials, the median per-trial read seconds and their ratios, both
cases in the same run (interleaved when ``--repeat`` > 1; medians). The data set is written
just before, so both cases read it from the page cache unless the file system is remote.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from _harness import Benchmark, Table, timer

from sweeps.job.staging import stage_data, staging_dir
from sweeps.spec import SweepSpec, spec_from_dict

PER_DIRECTORY = 100


def make_data_set(root: Path, files: int, size: int) -> int:
    """``files`` files of ``size`` bytes, ``PER_DIRECTORY`` to a directory; their total."""
    block = os.urandom(size)
    for i in range(files):
        folder = root / f"d{i // PER_DIRECTORY:04}"
        if i % PER_DIRECTORY == 0:
            folder.mkdir(parents=True)
        (folder / f"f{i:06}.bin").write_bytes(block)
    return files * size


def read_all(root: Path) -> tuple[float, int]:
    """Read every file under ``root``: seconds and bytes read."""
    started, total = time.perf_counter(), 0
    for folder, _, names in os.walk(root):
        for name in names:
            with open(os.path.join(folder, name), "rb") as file:
                total += len(file.read())
    return time.perf_counter() - started, total


def shared_trial(source: str) -> dict[str, Any]:
    """A trial that reads the shared copy."""
    read_s, total = read_all(Path(source))
    return {"read_s": read_s, "bytes": total, "stage_s": 0.0, "copied": False}


def staged_trial(spec: SweepSpec) -> dict[str, Any]:
    """A trial that stages the data set (or finds it staged), then reads the staged copy."""
    staged = stage_data(spec)
    read_s, total = read_all(staged.path)
    return {
        "read_s": read_s,
        "bytes": total,
        "stage_s": staged.staged_s,
        "copied": not staged.reused,
    }


def staging_spec(source: Path, to: Path, trials: int) -> SweepSpec:
    """A sweep whose ``data`` is the benchmark's data set."""
    return spec_from_dict(
        {
            "study": "data-staging-bench",
            "objective": "data_staging:read_all",
            "direction": "minimize",
            "space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
            "budget": {"n_trials": trials},
            "data": {"stage": str(source), "to": str(to)},
        }
    )


def run_case(
    pool: ProcessPoolExecutor, trial: Callable[[Any], dict[str, Any]], arg: Any, trials: int
) -> dict[str, Any]:
    """Every trial of one case through ``pool``: wall seconds and each trial's figures."""
    with timer() as clock:
        results = list(pool.map(trial, [arg] * trials))
    return {"wall_s": clock.seconds, "trials": results}


def summary(runs: list[dict[str, Any]], expected_bytes: int) -> dict[str, Any]:
    """Medians over the repeats of one case."""
    for run in runs:
        if any(t["bytes"] != expected_bytes for t in run["trials"]):
            raise RuntimeError("a trial did not read the whole data set")
    return {
        "wall_s": statistics.median(r["wall_s"] for r in runs),
        "read_s": statistics.median(t["read_s"] for r in runs for t in r["trials"]),
        "stage_s": statistics.median(sum(t["stage_s"] for t in r["trials"]) for r in runs),
        "copies": max(sum(t["copied"] for t in r["trials"]) for r in runs),
    }


def main() -> None:
    bench = Benchmark(__doc__, __file__, repeat=1, json_out=True)
    bench.add_argument("--files", type=int, default=10_000, help="files in the data set")
    bench.add_argument("--file-kib", type=int, default=4, help="size of each file (KiB)")
    bench.add_argument("--trials", type=int, default=8, help="trials per case")
    bench.add_argument("--parallel", type=int, default=2, help="trials at a time")
    bench.add_argument(
        "--shared", type=Path, default=None, help="where the data set is made (default: a temp dir)"
    )
    bench.add_argument(
        "--to", type=Path, default=None, help="node-local staging root (default: a temp dir)"
    )
    args = bench.parse()
    with tempfile.TemporaryDirectory(prefix="sweeps-data-bench-") as tmp:
        shared = Path(args.shared or Path(tmp) / "shared").resolve() / "sweeps-bench-data"
        to = Path(args.to or Path(tmp) / "node").resolve()
        if shared.exists():
            shutil.rmtree(shared)
        total = make_data_set(shared, args.files, args.file_kib * 1024)
        spec = staging_spec(shared, to, args.trials)
        runs: dict[str, list[dict[str, Any]]] = {"shared": [], "staged": []}
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(args.parallel, mp_context=context) as pool:
            list(pool.map(abs, range(args.parallel)))  # the trial processes are started
            for _ in range(args.repeat):
                runs["shared"].append(run_case(pool, shared_trial, str(shared), args.trials))
                shutil.rmtree(staging_dir(spec), ignore_errors=True)  # the copy is timed
                runs["staged"].append(run_case(pool, staged_trial, spec, args.trials))
        shutil.rmtree(shared)
        shutil.rmtree(staging_dir(spec), ignore_errors=True)
    base, staged = summary(runs["shared"], total), summary(runs["staged"], total)
    table = Table(
        [
            "case",
            "wall s",
            "per-trial read s (median)",
            "staging s (all trials)",
            "copies",
            "wall / baseline",
            "read / baseline",
        ],
        title=(
            f"{args.trials} trials, {args.parallel} at a time, each reading {args.files} files "
            f"of {args.file_kib} KiB ({total / 1024**2:.1f} MiB)"
        ),
    )
    for name, found in (("shared path (baseline)", base), ("staged once per node", staged)):
        table.add(
            name,
            round(found["wall_s"], 3),
            round(found["read_s"], 3),
            round(found["stage_s"], 3),
            found["copies"],
            f"{found['wall_s'] / base['wall_s']:.2f}x",
            f"{found['read_s'] / base['read_s']:.2f}x",
        )
    where = f"shared: {shared.parent}; staged under: {to}"
    bench.report(table, where, figures={"baseline": base, "staged": staged, "runs": runs})


if __name__ == "__main__":
    main()
