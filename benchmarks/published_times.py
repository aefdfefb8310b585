"""CPU seconds per trial of each shipped published sweep on one core, for `sweeps published`.

    nice -n 10 python benchmarks/published_times.py [--sweeps GLOB ...] [--trials 4]
        [--skip GLOB ...] [--core N] [--no-workflow] [--write]

Pinned to one core (`--core`, default the first this process may use; the processes it starts
inherit it). Per sweep: its own objective, space, sampler and pruner on a scratch SQLite study,
each trial run as a trial job runs it (sweeps.job.runner.run_trial, in this process): one
untimed trial first (imports, data loading), then `--trials` timed ones, and their mean CPU
time is the sweep's seconds per trial (a pruned trial counts as the time it ran). A sweep whose
trials fail here (boston problems without SWEEPS_BAYESMARK_BOSTON) is listed and gets no
figure.

The workflow's own cost, once: `snakemake --cores 1` of published:bayesmark-kNN_iris_acc
shortened to 2 and to 6 trials (`--config n_trials=N`), each in a new `sweeps init` project,
counting the CPU time of Snakemake and of every process it started. The difference per trial,
less that sweep's objective time, is the workflow's cost per trial (each trial's batch,
controller and trial job processes); what is left of the 2-trial run is its start.

CPU time, not wall time: on a shared machine a process's wall time counts the other processes'
turns on its core; on a core of its own a busy process's wall time is its CPU time. Both are
printed for the workflow, whose processes also wait (polling) a little.

`--write` merges the figures into src/sweeps/published_times.json (the package's data file
`sweeps published` reads; sweeps not run this time keep theirs) and records this machine.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import optuna
from _harness import REPO, Benchmark, Table, machine

from sweeps.job.runner import run_trial
from sweeps.job.task import TrialTask
from sweeps.shipped import PUBLISHED_PREFIX, published_sweeps, published_times_path
from sweeps.spec import SpecError, SweepSpec, load_spec
from sweeps.spec.seeds import derive_seed
from sweeps.spec.shortening import N_TRIALS
from sweeps.spec.space import suggest_all
from sweeps.storage.optuna_internals import trial_id_of
from sweeps.study import prepare_study

optuna.logging.set_verbosity(optuna.logging.WARNING)
logging.getLogger("sweeps.trial").propagate = False  # a failure is in the table, in one line

DATA_FILE = REPO / "src" / "sweeps" / published_times_path().name
WORKFLOW_SWEEP = "bayesmark-kNN_iris_acc"
WORKFLOW_TRIALS = (2, 6)
# Where objectives find data of their own (recorded with each run: boston problems need one).
DATA_VARIABLES = ("SWEEPS_BAYESMARK_BOSTON", "SWEEPS_BAYESMARK_DIABETES", "SWEEPS_LCBENCH_DIR")


def pin(core: int | None) -> int:
    """Pin this process (and what it starts) to one core; return it."""
    usable = sorted(os.sched_getaffinity(0))
    chosen = usable[0] if core is None else core
    os.sched_setaffinity(0, {chosen})
    return chosen


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def scratch_spec(path: Path, scratch: Path) -> SweepSpec:
    """The sweep as shipped, its study in a scratch SQLite file."""
    return load_spec(path, overrides={"storage": f"sqlite:///{scratch}/{{study}}.db"})


def one_trial(spec: SweepSpec, study: optuna.Study, scratch: Path) -> tuple[float, str, str]:
    """Ask one trial of the sweep, run it as a trial job does, tell it: its CPU seconds, its
    state and why it failed ("" unless it did)."""
    trial = study.ask()
    suggest_all(trial, spec)
    slot = trial.number
    task = TrialTask(
        spec=spec,
        trial_id=trial_id_of(trial),
        number=trial.number,
        slot=slot,
        attempt=0,
        params=dict(trial.params),
        seed=derive_seed(spec.seed, trial.number),
        checkpoint_dir=str(scratch / spec.study / "checkpoints" / str(slot)),
    )
    cpu = time.process_time()
    outcome = run_trial(task)
    seconds = time.process_time() - cpu
    if outcome.state == "complete":
        study.tell(trial, outcome.values)
    elif outcome.state == "pruned":
        study.tell(trial, state=optuna.trial.TrialState.PRUNED)
    else:
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    why = (outcome.reason or "no reason given") if outcome.state == "fail" else ""
    return seconds, outcome.state, why


def time_sweep(path: Path, trials: int, scratch: Path) -> dict[str, Any]:
    """One untimed trial, then ``trials`` timed ones: their seconds and states, and the first
    failure's reason ("" if none failed; a failed first trial ends it)."""
    spec = scratch_spec(path, scratch)
    study = prepare_study(spec)
    _, state, why = one_trial(spec, study, scratch)  # imports, data loading: not timed
    seconds: list[float] = []
    states: list[str] = []
    while not why and len(seconds) < trials:
        took, state, why = one_trial(spec, study, scratch)
        seconds.append(took)
        states.append(state)
    return {"seconds": seconds, "states": states, "failed": why}


def snakemake_run(n_trials: int, scratch: Path) -> tuple[float, float]:
    """Wall and CPU seconds (of Snakemake and every process it started) of ``snakemake --cores
    1`` of the workflow sweep shortened to ``n_trials``, in a new ``sweeps init`` project."""
    project = scratch / f"project-{n_trials}"
    subprocess.run(
        [sys.executable, "-m", "sweeps", "init", str(project)], check=True, capture_output=True
    )
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--cores",
        "1",
        "--config",
        f"sweep={PUBLISHED_PREFIX}{WORKFLOW_SWEEP}",
        f"{N_TRIALS}={n_trials}",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def workflow_cost(objective_s: float, scratch: Path) -> dict[str, Any]:
    """The workflow's CPU seconds per trial besides the objective's, and to start (the wall
    seconds too: on a busy machine they count other processes' turns)."""
    few, more = WORKFLOW_TRIALS
    runs = {n: snakemake_run(n, scratch) for n in (few, more)}
    cpu_per_trial = (runs[more][1] - runs[few][1]) / (more - few)
    return {
        "sweep": WORKFLOW_SWEEP,
        "trials": list(WORKFLOW_TRIALS),
        "wall_s": [round(runs[n][0], 3) for n in (few, more)],
        "cpu_s": [round(runs[n][1], 3) for n in (few, more)],
        "s_per_trial": round(cpu_per_trial - objective_s, 3),
        "start_s": round(runs[few][1] - few * cpu_per_trial, 3),
    }


def chosen_sweeps(patterns: list[str], skip: list[str]) -> dict[str, Path]:
    """The shipped sweeps that match a pattern (all, without patterns) and no ``skip`` one."""
    return {
        name: path
        for name, path in published_sweeps().items()
        if (not patterns or any(fnmatch.fnmatch(name, g) for g in patterns))
        and not any(fnmatch.fnmatch(name, g) for g in skip)
    }


def write_data(measured: dict[str, Any], workflow: dict[str, Any] | None, run: dict[str, Any]):
    """Merge the figures into the package's data file: this run is added to its ``runs``, and
    each figure it measured names it (sweeps not run this time keep theirs)."""
    data = json.loads(DATA_FILE.read_text()) if DATA_FILE.exists() else {}
    runs = [*data.get("runs", []), run]
    index = len(runs) - 1
    sweeps = dict(data.get("sweeps", {}))
    sweeps.update({name: {**entry, "run": index} for name, entry in measured.items()})
    if workflow is not None:
        workflow = {**workflow, "run": index}
    data = {
        "about": (
            "CPU seconds per trial of each shipped published sweep's objective on one core, and "
            "the workflow's own cost on one core, measured by benchmarks/published_times.py "
            "(each figure names the run, in runs, that measured it); `sweeps published` reads "
            "them. A sweep absent here is not measured."
        ),
        "runs": runs,
        "workflow": workflow if workflow is not None else data.get("workflow"),
        "sweeps": dict(sorted(sweeps.items())),
    }
    DATA_FILE.write_text(json.dumps(data, indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    bench = Benchmark(__doc__, __file__, repeatable=False)
    bench.add_argument("--sweeps", nargs="*", default=[], metavar="GLOB", help="names to time")
    bench.add_argument("--skip", nargs="*", default=[], metavar="GLOB", help="names to leave out")
    bench.add_argument("--trials", type=int, default=4, help="timed trials per sweep")
    bench.add_argument("--core", type=int, default=None, help="the core to pin to")
    bench.add_argument(
        "--no-workflow", action="store_true", help="leave the workflow's cost as recorded"
    )
    bench.add_argument("--write", action="store_true", help=f"merge the figures into {DATA_FILE}")
    args = bench.parse(argv)
    if args.trials < 1:
        bench.parser.error(f"--trials must be at least 1, got {args.trials}")
    core = pin(args.core)
    sweeps = chosen_sweeps(args.sweeps, args.skip)
    if not sweeps:
        bench.parser.error(f"no shipped published sweep matches {args.sweeps}")
    table = Table(["sweep", "CPU s per trial (mean)", "min", "max", "states", "note"])
    measured: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="published-times-") as tmp:
        scratch = Path(tmp)
        for name, path in sweeps.items():
            try:
                run = time_sweep(path, args.trials, scratch)
            except SpecError as err:
                print(table.add(name, None, None, None, "-", str(err).splitlines()[-1].strip()))
                continue
            seconds, states, failed = run["seconds"], run["states"], run["failed"]
            counts = ", ".join(f"{states.count(s)} {s}" for s in sorted(set(states))) or "-"
            if failed or not seconds:
                print(table.add(name, None, None, None, counts, f"failed: {failed[:100]}"))
                continue
            mean = sum(seconds) / len(seconds)
            print(table.add(name, mean, min(seconds), max(seconds), counts, ""), flush=True)
            measured[name] = {"s_per_trial": round(mean, 4), "trials": len(seconds)}
        workflow = None
        if not args.no_workflow:
            objective = measured.get(WORKFLOW_SWEEP) or json.loads(
                DATA_FILE.read_text() if DATA_FILE.exists() else "{}"
            ).get("sweeps", {}).get(WORKFLOW_SWEEP)
            if objective is None:
                bench.parser.error(f"the workflow's cost needs {WORKFLOW_SWEEP} timed too")
            workflow = workflow_cost(objective["s_per_trial"], scratch)
    info = machine(bench.load_start, os.getloadavg())
    recorded = {
        "cpu": cpu_model(),
        "core": core,
        "date": datetime.now(UTC).date().isoformat(),
        "python": info["python"],
        "platform": info["platform"],
        "versions": info["versions"],
        "load": [info["load_start"], info["load_end"]],
        "command": bench.command,
        "variables_set": sorted(v for v in DATA_VARIABLES if os.environ.get(v)),
    }
    parts: list[Table | str] = [table]
    if workflow is not None:
        parts.append(
            f"workflow ({workflow['sweep']}, snakemake --cores 1, {workflow['trials']} trials: "
            f"{workflow['wall_s']} s wall, {workflow['cpu_s']} s CPU): "
            f"{workflow['s_per_trial']} CPU s per trial besides the objective, "
            f"{workflow['start_s']} CPU s to start"
        )
    parts.append(f"pinned to core {core} ({recorded['cpu']}); {len(measured)} sweeps measured")
    bench.report(*parts, figures={"sweeps": measured, "workflow": workflow})
    if args.write:
        write_data(measured, workflow, recorded)
        print(f"wrote {DATA_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
