"""Submit-host cost of trial controllers: one process per trial vs one thread per trial.

Each Snakemake trial job runs a controller that asks, dispatches and waits for its trial. With
many trials in flight, the submit host (a login node) holds one controller per trial. This
measures, with N trials in flight (each sleeping, so all are in flight together), the memory
(RSS and PSS) and CPU time of the controllers alone (the trial jobs, which would run on compute
nodes, are excluded), for:

- processes: N `python -m sweeps trial` processes, what the workflow's shell rule runs;
- threads:   N threads in one process calling the same controller code (what a `run:` rule
             under `--force-use-threads` would do).

    python benchmarks/submit_host.py [--trials 32] [--seconds 20] [--repeat 3] [--out PATH]

With ``--repeat N``, N rounds (processes then threads, fresh studies) and the median of each
figure.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from argparse import SUPPRESS
from pathlib import Path

import yaml
from _harness import Benchmark, Table, median_row, timer
from _proc import cmdline, cpu_seconds, memory_kb, tree

HERE = Path(__file__).resolve().parent


def write_spec(root: Path, study: str, trials: int, seconds: float) -> Path:
    spec = {
        "study": study,
        "storage": f"sqlite:///{root}/study.db",
        "objective": {"function": "sweeps.objectives.toy:sleep", "args": {"seconds": seconds}},
        "direction": "minimize",
        "space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "sampler": {"name": "RandomSampler"},
        "budget": {"n_trials": trials},
        "parallelism": trials,
        "resources": {"time_min": 10},
        "dispatch": {"poll_interval_s": 0.5},
    }
    path = root / f"{study}.yaml"
    path.write_text(yaml.safe_dump(spec))
    subprocess.run(
        [sys.executable, "-m", "sweeps", "study", "prepare", "--spec", str(path)],
        cwd=root,
        check=True,
        capture_output=True,
    )
    return path


def controllers(roots: list[int]) -> list[int]:
    """Controller processes under ``roots``: everything but the submitit trial jobs."""
    pids = [pid for root in roots for pid in tree(root)]
    return [pid for pid in pids if "submitit" not in cmdline(pid)]


def watch(roots: list[int], done: threading.Event) -> dict[str, float]:
    peak_rss = peak_pss = 0
    cpu: dict[int, float] = {}
    while not done.is_set():
        pids = controllers(roots)
        rss = pss = 0
        for pid in pids:
            r, p = memory_kb(pid)
            rss, pss = rss + r, pss + p
            cpu[pid] = max(cpu.get(pid, 0.0), cpu_seconds(pid))
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.5)
    return {
        "peak_rss_mb": peak_rss / 1024,
        "peak_pss_mb": peak_pss / 1024,
        "cpu_s": sum(cpu.values()),
    }


def measure(launch: list[list[str]], cwd: Path) -> dict[str, float]:
    with timer() as clock:
        procs = [
            subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for cmd in launch
        ]
        done = threading.Event()
        result: dict[str, float] = {}
        watcher = threading.Thread(
            target=lambda: result.update(watch([p.pid for p in procs], done))
        )
        watcher.start()
        codes = [p.wait() for p in procs]
        done.set()
        watcher.join()
    result["wall_s"] = clock.seconds
    result["failed_controllers"] = sum(code != 0 for code in codes)
    return result


def thread_worker(spec_path: str, trials: int) -> None:
    """Run every slot's controller in a thread of this one process."""
    from sweeps.controller.slot import run_slot
    from sweeps.spec import load_spec

    spec = load_spec(spec_path)
    threads = [
        threading.Thread(target=run_slot, args=(spec, slot, Path(f"receipts/{slot}.json")))
        for slot in range(trials)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def one_round(root: Path, trials: int, seconds: float) -> tuple[dict[str, float], ...]:
    """The processes and the threads figures of one round, in a folder of its own."""
    root.mkdir()
    procs_spec = write_spec(root, "procs", trials, seconds)
    threads_spec = write_spec(root, "threads", trials, seconds)
    processes = measure(
        [
            [
                sys.executable,
                "-m",
                "sweeps",
                "trial",
                "--spec",
                str(procs_spec),
                "--slot",
                str(slot),
                "--receipt",
                f"receipts-p/{slot}.json",
            ]
            for slot in range(trials)
        ],
        root,
    )
    threads = measure(
        [
            [
                sys.executable,
                str(HERE / "submit_host.py"),
                "--thread-worker",
                str(threads_spec),
                str(trials),
            ]
        ],
        root,
    )
    return processes, threads


FIGURES = ("peak_rss_mb", "peak_pss_mb", "cpu_s")


def main(argv: list[str] | None = None) -> int:
    bench = Benchmark(__doc__, __file__, repeat_help="rounds of both; medians of each figure")
    bench.add_argument("--trials", type=int, default=32, help="trials in flight")
    bench.add_argument("--seconds", type=float, default=20.0, help="each trial's sleep")
    bench.add_argument("--thread-worker", nargs=2, metavar=("SPEC", "TRIALS"), help=SUPPRESS)
    args = bench.parse(argv)
    if args.thread_worker:
        thread_worker(args.thread_worker[0], int(args.thread_worker[1]))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        rounds = [
            one_round(Path(tmp) / str(r), args.trials, args.seconds) for r in range(args.repeat)
        ]
    processes = median_row([p for p, _ in rounds])
    threads = median_row([t for _, t in rounds])
    figures = {
        "trials_in_flight": args.trials,
        "processes": processes,
        "threads": threads,
        "ratio_processes_over_threads": {
            key: processes[key] / threads[key] for key in FIGURES if threads[key]
        },
        "rounds": [{"processes": p, "threads": t} for p, t in rounds],
    }
    table = Table(
        [
            "controllers",
            "peak RSS MB",
            "peak PSS MB",
            "CPU s",
            "wall s",
            "failed controllers",
        ],
        align="lrrrrr",
    )
    for name, row in (("processes", processes), ("threads", threads)):
        table.add(
            name,
            *(f"{row[key]:.1f}" for key in (*FIGURES, "wall_s")),
            int(row["failed_controllers"]),
        )
    ratios = figures["ratio_processes_over_threads"]
    table.add(
        "processes / threads",
        *(f"{ratios[key]:.2f}x" if key in ratios else "-" for key in FIGURES),
        "-",
        "-",
    )
    note = f"{args.trials} trials in flight, each sleeping {args.seconds:g} s"
    bench.report(note, table, figures=figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
