"""Dispatch cost of Slurm sweeps: this project (job and warm mode) vs Hydra's Optuna sweeper +
submitit, on the test cluster (`bash tests/slurm/cluster.sh up`).

Every tool runs the same trials: trial i sleeps ``durations[i]`` (its slot in this project, its
``hydra.job.num`` in Hydra), from a fixed list, never drawn by a sampler. Scenarios: ``equal``
(every trial 10 s) and ``mixed`` (a fixed mix of 4-16 s, mean 10 s). Same number of trials,
same parallelism (2 slots; Hydra's ``n_jobs``), same partition (small-g). Per tool and round:

- dispatch cost per trial = (slots x wall - sum of sleeps - batch waits) / trials;
- including batch waits = (slots x wall - sum of sleeps) / trials.

A batch wait is the time a Hydra job that has ended waits for the last job of its batch (one
Slurm array of ``n_jobs`` tasks) before the sweeper asks the next batch; job ends are the
mtimes of submitit's result pickles. This project has no batches: nothing is taken out of its
figures (its idle slots at the very end are shown as ``end drain``, not subtracted).

Hydra runs in its own virtualenv (its released sweeper pins Optuna < 3), created with:

    python -m venv build/hydra-venv
    build/hydra-venv/bin/pip install hydra-core hydra-optuna-sweeper hydra-submitit-launcher

This project runs as the cluster profiles run it (controllers as threads of Snakemake, the
greedy job selector) up to the trial receipts (`snakemake trials`: the HTML report is left
out, Hydra writes none). ``--in-flight 32`` also measures the submit host's memory with 32
trials in flight (job mode). Rounds are interleaved (each runs every tool and scenario) so
drift of the machine hits all; medians over rounds are reported, ratios from the same run.

Usage: python benchmarks/slurm_overhead.py [--trials 16] [--scenarios equal,mixed]
       [--modes warm,job] [--controllers threads|processes] [--in-flight 32]
       [--hydra-python build/hydra-venv/bin/python] [--skip-hydra] [--repeat 3]
       [--keep DIR] [--json out.json] [--out PATH]
"""

from __future__ import annotations

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
from _harness import Benchmark, Stopwatch, Table, timed
from _waits import (
    EQUAL,
    MIXED,
    JobEnd,
    batch_waits,
    durations_for,
    end_drain,
    medians,
    restart_gaps,
    summarise,
)

REPO = Path(__file__).resolve().parents[1]
SLOTS = 2

OBJECTIVE = """
import json, os, time

def sleep_for(params, trial, durations, out):
    \"\"\"Sleep for the fixed length of this slot's trial; record when (the trial's run time).\"\"\"
    seconds = durations[trial.slot]
    start = time.time()
    time.sleep(seconds)
    end = time.time()
    with open(os.path.join(out, f"{trial.slot}.json"), "w") as f:
        json.dump({"index": trial.slot, "start": start, "end": end}, f)
    return seconds
"""

HYDRA_APP = """
import json, os, time
import hydra
from hydra.core.hydra_config import HydraConfig

@hydra.main(version_base=None, config_path=".", config_name="config")
def main(cfg):
    job = HydraConfig.get().job
    seconds = cfg.durations[job.num]
    start = time.time()
    time.sleep(seconds)
    end = time.time()
    with open(os.path.join(cfg.out, f"{job.num}.json"), "w") as f:
        json.dump({"index": job.num, "job_id": job.id, "start": start, "end": end}, f)
    return seconds

if __name__ == "__main__":
    main()
"""


def read_sleeps(out: Path, trials: int) -> list[dict[str, Any]]:
    """The trials' own records, one per trial index, checked complete."""
    records = [json.loads(p.read_text()) for p in out.glob("*.json")]
    indices = sorted(r["index"] for r in records)
    if indices != list(range(trials)):
        raise SystemExit(f"expected trials 0..{trials - 1} once each, got {indices}")
    return records


def run_sweeps(
    work: Path,
    durations: list[float],
    slots: int = SLOTS,
    cores: int = 0,
    dispatch: str = "warm",
    controllers: str = "threads",
) -> dict[str, float]:
    """This project: snakemake with one controller per slot; trials run in Slurm jobs
    (``dispatch: warm``: one worker job per slot runs trial after trial; ``job``: one Slurm
    job per trial)."""
    trials = len(durations)
    out = work / "sleeps"
    out.mkdir(parents=True)
    shutil.copy(REPO / "Snakefile", work / "Snakefile")
    shutil.copytree(REPO / "workflow", work / "workflow")
    (work / "config" / "sweeps").mkdir(parents=True)
    (work / "bench_objective.py").write_text(OBJECTIVE)
    sweep = {
        "study": "bench",
        "objective": {
            "function": "bench_objective:sleep_for",
            "args": {"durations": durations, "out": str(out)},
        },
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
    (work / "launched_at").write_text(f"{time.time()}\n")  # for warm_timeline.py
    clock = Stopwatch()
    command = [sys.executable, "-m", "snakemake", "--cores", str(cores or slots), *flags, "trials"]
    proc = subprocess.Popen(
        command, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    with SubmitHostMemory(proc.pid) as memory:
        _, stderr = proc.communicate()
        wall = clock.stop()
    done = subprocess.CompletedProcess(command, proc.returncode, "", stderr)
    if done.returncode != 0:
        raise SystemExit(f"snakemake failed:\n{done.stderr[-3000:]}")
    study = optuna.load_study(
        study_name="bench", storage=f"sqlite:///{work}/results/bench/study.db"
    )
    done_trials = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if len(done_trials) != trials:
        raise SystemExit(f"expected {trials} completed trials, got {len(done_trials)}")
    records = read_sleeps(out, trials)
    sleeps = [r["end"] - r["start"] for r in records]
    ends = [r["end"] for r in records]
    gaps = restart_gaps([r["start"] for r in records], ends, slots)
    figures = summarise(wall, sleeps, 0.0, gaps, slots, trials)
    figures["end_drain_s"] = round(end_drain([r["end"] for r in records], slots), 2)
    return {**figures, **memory.summary()}


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


def run_hydra(work: Path, python: str, durations: list[float]) -> dict[str, float]:
    """Hydra's Optuna sweeper with the submitit Slurm launcher (batches of n_jobs trials)."""
    trials = len(durations)
    out = work / "sleeps"
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
        "durations": durations,
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
    command = [os.path.abspath(python), "app.py", "--multirun"]
    wall, done = timed(lambda: subprocess.run(command, cwd=work, capture_output=True, text=True))
    if done.returncode != 0:
        raise SystemExit(f"hydra failed:\n{done.stderr[-3000:]}")
    records = read_sleeps(out, trials)
    waits = batch_waits(hydra_job_ends(work / "submitit", records))
    sleeps = [r["end"] - r["start"] for r in records]
    # A slot is freed for the next batch when its batch's last trial has slept.
    batches = [JobEnd(str(r["job_id"]).split("_")[0], r["end"]) for r in records]
    frees = [job.ended + wait for job, wait in zip(batches, batch_waits(batches), strict=True)]
    gaps = restart_gaps([r["start"] for r in records], frees, SLOTS)
    return summarise(wall, sleeps, sum(waits), gaps, SLOTS, trials)


def hydra_job_ends(folder: Path, records: list[dict[str, Any]]) -> list[JobEnd]:
    """Each Hydra job's batch (its Slurm array) and end: when submitit wrote its result pickle,
    which is what the sweeper waits for."""
    ends = []
    for record in records:
        job_id = str(record["job_id"])  # "<array id>_<task>"
        pickles = list(folder.glob(f"**/{job_id}_0_result.pkl"))
        if len(pickles) != 1:
            raise SystemExit(f"no single result pickle for Hydra job {job_id}: {pickles}")
        ends.append(JobEnd(batch=job_id.split("_")[0], ended=pickles[0].stat().st_mtime))
    return ends


def table(results: dict[str, Any]) -> Table:
    """The medians as a table, one row per scenario and tool."""
    out = Table(
        [
            "lengths",
            "tool",
            "wall s",
            "efficiency",
            "batch waits s",
            "end drain s",
            "dispatch cost s/trial",
            "incl. batch waits s/trial",
            "restart gap s",
            "others' Slurm jobs s",
        ],
        align="llrrrrrrrr",
    )
    for scenario, tools in results["medians"].items():
        for tool, m in tools.items():
            out.add(
                scenario,
                tool,
                f"{m['wall_s']:.1f}",
                f"{m['efficiency']:.3f}",
                f"{m['batch_wait_s']:.1f}",
                f"{m['end_drain_s']:.1f}" if "end_drain_s" in m else "-",
                f"{m['dispatch_cost_s']:.2f}"
                f" ({m['dispatch_cost_min_s']:.2f}-{m['dispatch_cost_max_s']:.2f})",
                f"{m['including_waits_s']:.2f}",
                f"{m['restart_gap_s']:.2f}",
                f"{m.get('foreign_job_s', 0.0):.0f}",
            )
    return out


def ratio_table(results: dict[str, Any]) -> Table:
    """Hydra's figures over each mode's, per scenario."""
    out = Table(["lengths", "figure", "ratio"], title="ratios (same run)", align="llr")
    for scenario, found in results["ratios"].items():
        for name, ratio in found.items():
            out.add(scenario, name, f"{ratio:.2f}")
    return out


def ratios(tools: dict[str, dict[str, float]]) -> dict[str, float]:
    """Hydra's figures over each mode's, both views (same run)."""
    if "hydra" not in tools:
        return {}
    hydra = tools["hydra"]
    out = {}
    for tool, m in tools.items():
        if tool == "hydra":
            continue
        for view in ("dispatch_cost_s", "including_waits_s"):
            out[f"hydra_over_{tool}_{view[:-2]}"] = round(hydra[view] / max(m[view], 1e-9), 2)
    return out


def main(argv: list[str] | None = None) -> int:
    bench = Benchmark(
        __doc__,
        __file__,
        repeat_help="rounds (each runs every tool); medians reported",
        json_out=True,
    )
    bench.add_argument("--trials", type=int, default=16)
    bench.add_argument("--seconds", type=float, default=10.0, help="trial length when equal")
    bench.add_argument("--scenarios", default=f"{EQUAL},{MIXED}")
    bench.add_argument("--modes", default="warm,job", help="this project's dispatch modes")
    bench.add_argument("--hydra-python", default=str(REPO / "build/hydra-venv/bin/python"))
    bench.add_argument("--skip-hydra", action="store_true")
    bench.add_argument("--controllers", choices=("threads", "processes"), default="threads")
    bench.add_argument(
        "--in-flight",
        type=int,
        default=0,
        help="also measure submit-host memory with this many trials in flight (e.g. 32)",
    )
    bench.add_argument("--keep", type=Path, default=None, help="keep the runs' folders here")
    args = bench.parse(argv)
    scenarios = {
        name: durations_for(name, args.trials, args.seconds) for name in args.scenarios.split(",")
    }
    tools = [f"sweeps-{mode}" for mode in args.modes.split(",")]
    tools += [] if args.skip_hydra else ["hydra"]
    runs: dict[str, dict[str, list[dict[str, float]]]] = {
        name: {tool: [] for tool in tools} for name in scenarios
    }
    results: dict[str, Any] = {"durations": scenarios, "runs": runs, "load_before": load()}
    with tempfile.TemporaryDirectory(prefix="sweeps-bench-") as tmp:
        root = args.keep or Path(tmp)
        for round_ in range(args.repeat):  # interleaved, so drift of the machine hits all
            for name, durations in scenarios.items():
                for tool in tools:
                    work = root / f"{name}-{tool}-{round_}"
                    work.mkdir(parents=True)
                    began = time.time()
                    if tool == "hydra":
                        figures = run_hydra(work, args.hydra_python, durations)
                    else:
                        mode = tool.removeprefix("sweeps-")
                        figures = run_sweeps(
                            work, durations, dispatch=mode, controllers=args.controllers
                        )
                    figures["load_1min"] = load()
                    figures["foreign_job_s"] = foreign_job_seconds(began, time.time(), work)
                    runs[name][tool].append(figures)
                    print(f"round {round_} {name:5} {tool:11}", figures, flush=True)
        if args.in_flight:
            results["memory"] = run_sweeps(
                root / "memory",
                [1.0] * args.in_flight,
                slots=args.in_flight,
                cores=args.in_flight,
                dispatch="job",
                controllers=args.controllers,
            )
            print("memory", results["memory"], flush=True)
    results["medians"] = {
        name: {tool: medians(rounds) for tool, rounds in by_tool.items()}
        for name, by_tool in runs.items()
    }
    results["ratios"] = {name: ratios(m) for name, m in results["medians"].items()}
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    parts: list[Table | str] = [table(results)]
    if any(results["ratios"].values()):
        parts.append(ratio_table(results))
    if "memory" in results:
        memory = results["memory"]
        parts.append(
            f"submit host with {args.in_flight} trials in flight (job mode): "
            f"{memory['submit_host_processes']} processes, {memory['submit_host_rss_mib']} MiB RSS"
            f" (largest {memory['largest_process_rss_mib']} MiB)"
        )
    parts.append(f"largest child process RSS: {peak:.0f} MiB")
    bench.report(*parts, figures=results)
    return 0


def foreign_job_seconds(began: float, ended: float, work: Path) -> float:
    """Seconds of other users' Slurm jobs that ran while this run did (the test cluster has
    2 CPUs: such a job can hold back one of this run's jobs); from sacct."""
    stamp = "%Y-%m-%dT%H:%M:%S"
    window = [time.strftime(stamp, time.localtime(t)) for t in (began, ended)]
    query = ["sacct", "-X", "-n", "-P", "-a", "--format=Start,End,WorkDir"]
    done = subprocess.run(
        [*query, "-S", window[0], "-E", window[1]],
        capture_output=True,
        text=True,
    )
    total = 0.0
    for line in done.stdout.splitlines():
        start, end, workdir = [*line.split("|"), "", ""][:3]
        if workdir.startswith(str(work)) or start in ("", "Unknown", "None"):
            continue
        stop = ended if end in ("", "Unknown") else time.mktime(time.strptime(end, stamp))
        total += max(0.0, min(stop, ended) - max(time.mktime(time.strptime(start, stamp)), began))
    return round(total, 1)


def load() -> float:
    """The machine's 1-minute load average (the machine is shared: figures depend on it)."""
    return os.getloadavg()[0]


if __name__ == "__main__":
    raise SystemExit(main())
