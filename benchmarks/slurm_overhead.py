"""Orchestration overhead of Slurm sweeps: this project vs Hydra's Optuna sweeper + submitit.

On the test cluster (`bash tests/slurm/cluster.sh up`), both run the same trivial objective
(sleep for a duration drawn from x in [0, 1]) for N trials with 2 slots in parallel, and we
report, per tool:

- makespan efficiency = sum of trial run times / (slots x wall time);
- orchestration overhead per trial = (slots x wall time - sum of run times) / N.

Hydra runs in its own virtualenv (its released sweeper pins Optuna < 3), created with:

    python -m venv build/hydra-venv
    build/hydra-venv/bin/pip install hydra-core hydra-optuna-sweeper hydra-submitit-launcher

This project runs as the cluster profiles run it (controllers as threads of Snakemake, the
greedy job selector) up to the trial receipts (`snakemake trials`: the HTML report is left
out, Hydra writes none). ``--dispatch warm`` (default) runs the trials on one warm worker job
per slot; ``--dispatch job`` submits one Slurm job per trial. ``--in-flight 32`` also measures
the submit host's memory with 32 trials in flight (job mode).

Usage: python benchmarks/slurm_overhead.py [--trials 16] [--low 5] [--high 30]
       [--dispatch warm|job] [--controllers threads|processes] [--in-flight 32]
       [--hydra-python build/hydra-venv/bin/python] [--skip-hydra] [--repeat 3]
       [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import optuna
import yaml

REPO = Path(__file__).resolve().parents[1]
SLOTS = 2

OBJECTIVE = '''
import json, os, time

def sleep_for(params, low, high):
    """Sleep for a duration set by x; record it (the trial's run time)."""
    seconds = low + (high - low) * params["x"]
    time.sleep(seconds)
    return seconds
'''

HYDRA_APP = """
import json, os, time
import hydra

@hydra.main(version_base=None, config_path=".", config_name="config")
def main(cfg):
    seconds = cfg.low + (cfg.high - cfg.low) * cfg.x
    time.sleep(seconds)
    with open(os.path.join(cfg.out, f"{os.getpid()}-{time.time()}.json"), "w") as f:
        json.dump({"seconds": seconds}, f)
    return seconds

if __name__ == "__main__":
    main()
"""


def run_sweeps(
    work: Path,
    trials: int,
    low: float,
    high: float,
    slots: int = SLOTS,
    cores: int = 0,
    dispatch: str = "warm",
    controllers: str = "threads",
) -> dict[str, float]:
    """This project: snakemake with one controller per slot; trials run in Slurm jobs
    (``dispatch: warm``: one worker job per slot runs trial after trial; ``job``: one Slurm
    job per trial)."""
    shutil.copy(REPO / "Snakefile", work / "Snakefile")
    shutil.copytree(REPO / "workflow", work / "workflow")
    (work / "config" / "sweeps").mkdir(parents=True)
    (work / "bench_objective.py").write_text(OBJECTIVE)
    sweep = {
        "study": "bench",
        "objective": {"function": "bench_objective:sleep_for", "args": {"low": low, "high": high}},
        "direction": "minimize",
        "space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "sampler": {"name": "RandomSampler", "seed": 1},
        "budget": {"n_trials": trials, "max_retries": 0},
        "parallelism": slots,
        "resources": {"time_min": 5, "mem_gb": 0.5, "cpus": 1},
        "dispatch": {
            "executor": "slurm",
            "mode": dispatch,
            "warm": {"workers": slots, "time_min": 30},
            "slurm": {"partition": "small-g"},
        },
    }
    (work / "config" / "sweeps" / "default.yaml").write_text(yaml.safe_dump(sweep))
    (work / "config" / "config.yaml").write_text(
        yaml.safe_dump(
            {
                "sweep": "config/sweeps/default.yaml",
                "site": None,
                "force": False,
                "controllers": controllers,
            }
        )
    )
    # The cluster profiles' settings (profiles/lumi/config.yaml), without the Slurm flags.
    flags = ["--scheduler", "greedy"]
    flags += ["--force-use-threads"] if controllers == "threads" else []
    env = {**os.environ, "PYTHONPATH": str(work)}
    started = time.monotonic()
    command = [sys.executable, "-m", "snakemake", "--cores", str(cores or slots), *flags, "trials"]
    proc = subprocess.Popen(
        command, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    with SubmitHostMemory(proc.pid) as memory:
        _, stderr = proc.communicate()
        wall = time.monotonic() - started
    done = subprocess.CompletedProcess(command, proc.returncode, "", stderr)
    if done.returncode != 0:
        raise SystemExit(f"snakemake failed:\n{done.stderr[-3000:]}")
    study = optuna.load_study(
        study_name="bench", storage=f"sqlite:///{work}/results/bench/study.db"
    )
    runs = [t.value for t in study.trials if t.value is not None]
    if len(runs) != trials:
        raise SystemExit(f"expected {trials} completed trials, got {len(runs)}")
    return {**summarise(wall, runs, trials, slots), **memory.summary()}


class SubmitHostMemory:
    """Samples the resident memory of the sweep's processes on the submit host: Snakemake and
    everything it started (controllers, as threads or processes); Slurm jobs are not counted."""

    def __init__(self, root_pid: int, every_s: float = 0.5) -> None:
        self.root_pid, self.every_s = root_pid, every_s
        self.peak_sum_kb, self.peak_one_kb, self.peak_count = 0, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> SubmitHostMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self.every_s):
            ps = subprocess.run(
                ["ps", "-eo", "pid=,ppid=,rss=,comm="], capture_output=True, text=True
            )
            rows = [line.split(None, 3) for line in ps.stdout.splitlines()]
            children: dict[int, list[tuple[int, int, str]]] = {}
            for pid, ppid, rss, comm in (r for r in rows if len(r) == 4):
                children.setdefault(int(ppid), []).append((int(pid), int(rss), comm))
            sizes: list[int] = []
            todo = [self.root_pid]
            while todo:
                for child, size, name in children.get(todo.pop(), []):
                    todo.append(child)
                    if name.startswith("python"):
                        sizes.append(size)
            own = [int(r[2]) for r in rows if len(r) == 4 and int(r[0]) == self.root_pid]
            sizes += own
            if sizes:
                self.peak_sum_kb = max(self.peak_sum_kb, sum(sizes))
                self.peak_one_kb = max(self.peak_one_kb, max(sizes))
                self.peak_count = max(self.peak_count, len(sizes))

    def summary(self) -> dict[str, float]:
        return {
            "submit_host_processes": self.peak_count,
            "submit_host_rss_mib": round(self.peak_sum_kb / 1024, 1),
            "largest_process_rss_mib": round(self.peak_one_kb / 1024, 1),
        }


def run_hydra(work: Path, python: str, trials: int, low: float, high: float) -> dict[str, float]:
    """Hydra's Optuna sweeper with the submitit Slurm launcher (batches of n_jobs trials)."""
    out = work / "runs"
    out.mkdir()
    (work / "app.py").write_text(HYDRA_APP)
    config = {
        "defaults": [
            {"override hydra/sweeper": "optuna"},
            {"override hydra/sweeper/sampler": "random"},
            {"override hydra/launcher": "submitit_slurm"},
            "_self_",
        ],
        "x": 0.5,
        "low": low,
        "high": high,
        "out": str(out),
        "hydra": {
            "sweeper": {
                "sampler": {"seed": 1},
                "direction": "minimize",
                "n_trials": trials,
                "n_jobs": SLOTS,
                "params": {"x": "interval(0, 1)"},
            },
            "launcher": {
                "partition": "small-g",
                "timeout_min": 5,
                "cpus_per_task": 1,
                "mem_gb": 1,
                "array_parallelism": SLOTS,
                "submitit_folder": str(work / "submitit" / "%j"),
            },
            "sweep": {"dir": str(work / "multirun")},
        },
    }
    (work / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    started = time.monotonic()
    done = subprocess.run(
        [os.path.abspath(python), "app.py", "--multirun"], cwd=work, capture_output=True, text=True
    )
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"hydra failed:\n{done.stderr[-3000:]}")
    runs = [json.loads(p.read_text())["seconds"] for p in out.glob("*.json")]
    if len(runs) != trials:
        raise SystemExit(f"expected {trials} hydra trials, got {len(runs)}")
    return summarise(wall, runs, trials, SLOTS)


def summarise(wall: float, runs: list[float], trials: int, slots: int) -> dict[str, float]:
    busy = sum(runs)
    return {
        "wall_s": round(wall, 2),
        "sum_run_s": round(busy, 2),
        "efficiency": round(busy / (slots * wall), 4),
        "overhead_per_trial_s": round((slots * wall - busy) / trials, 3),
    }


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median overhead per trial (an actual run, not a blend of runs)."""
    ranked = sorted(runs, key=lambda run: run["overhead_per_trial_s"])
    return ranked[(len(ranked) - 1) // 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--low", type=float, default=5.0, help="shortest trial (s)")
    parser.add_argument("--high", type=float, default=30.0, help="longest trial (s)")
    parser.add_argument("--hydra-python", default=str(REPO / "build/hydra-venv/bin/python"))
    parser.add_argument("--skip-hydra", action="store_true")
    parser.add_argument("--dispatch", choices=("warm", "job"), default="warm")
    parser.add_argument("--controllers", choices=("threads", "processes"), default="threads")
    parser.add_argument(
        "--in-flight",
        type=int,
        default=0,
        help="also measure submit-host memory with this many trials in flight (e.g. 32)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds (each runs both tools); medians reported"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    runs: dict[str, list[dict[str, float]]] = {"sweeps": [], "hydra": []}
    results: dict[str, Any] = {"runs": runs}
    with tempfile.TemporaryDirectory(prefix="sweeps-bench-") as tmp:
        for round_ in range(args.repeat):  # interleaved, so drift of the machine hits both
            work = Path(tmp) / f"sweeps-{round_}"
            work.mkdir()
            ours = run_sweeps(
                work,
                args.trials,
                args.low,
                args.high,
                dispatch=args.dispatch,
                controllers=args.controllers,
            )
            runs["sweeps"].append(ours)
            print(f"round {round_} sweeps        ", ours, flush=True)
            if not args.skip_hydra:
                work = Path(tmp) / f"hydra-{round_}"
                work.mkdir()
                theirs = run_hydra(work, args.hydra_python, args.trials, args.low, args.high)
                runs["hydra"].append(theirs)
                print(f"round {round_} hydra+submitit", theirs, flush=True)
        if args.in_flight:
            (Path(tmp) / "memory").mkdir()
            results["memory"] = run_sweeps(
                Path(tmp) / "memory",
                args.in_flight,
                1,
                1,
                slots=args.in_flight,
                cores=args.in_flight,
                dispatch="job",
                controllers=args.controllers,
            )
            print("memory        ", results["memory"], flush=True)
    results["sweeps"] = median_run(runs["sweeps"])
    print("sweeps (median)        ", results["sweeps"])
    if runs["hydra"]:
        ours, theirs = results["sweeps"], median_run(runs["hydra"])
        results["hydra"] = theirs
        print("hydra+submitit (median)", theirs)
        results["ratios"] = {
            "overhead_hydra_over_sweeps": round(
                theirs["overhead_per_trial_s"] / max(ours["overhead_per_trial_s"], 1e-9), 2
            ),
            "efficiency_sweeps_minus_hydra": round(ours["efficiency"] - theirs["efficiency"], 4),
        }
        print("ratios                 ", results["ratios"])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"largest child process RSS: {peak:.0f} MiB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
