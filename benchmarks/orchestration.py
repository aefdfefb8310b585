"""Per-trial orchestration overhead of a sweep vs a plain in-process Optuna ask/tell loop.

With a trivial objective, everything a trial costs is orchestration. Measured in one run, on
SQLite files in one scratch directory, with the same sampler:

- baseline:   `study.ask()` / objective / `study.tell()` in one Python process;
- controller: `run_slot` called in-process, slot after slot (ask, a submitit local job, tell);
- snakemake:  the whole workflow (`snakemake --cores 1`), one trial at a time.

    python benchmarks/orchestration.py [--trials 20] [--repeat 3] [--out PATH]

Each round runs all three in fresh folders (rounds interleaved); per-trial medians reported.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import optuna
import yaml
from _harness import Benchmark, Table, Timing, timed, timer

REPO = Path(__file__).resolve().parents[1]


def sweep(study: str, trials: int) -> dict[str, object]:
    return {
        "study": study,
        "objective": {"function": "sweeps.objectives.toy:quadratic", "args": {"steps": 1}},
        "direction": "minimize",
        "space": {
            "x": {"type": "float", "low": -5.0, "high": 5.0},
            "y": {"type": "float", "low": -5.0, "high": 5.0},
        },
        "sampler": {"name": "TPESampler", "args": {"n_startup_trials": 5}},
        "budget": {"n_trials": trials},
        "parallelism": 1,
        "seed": 0,
        "dispatch": {"poll_interval_s": 0.05},
    }


def baseline(root: Path, trials: int) -> float:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name="baseline",
        storage=f"sqlite:///{root}/baseline.db",
        sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=5),
    )
    with timer() as clock:
        for _ in range(trials):
            trial = study.ask()
            x, y = trial.suggest_float("x", -5, 5), trial.suggest_float("y", -5, 5)
            trial.report((x - 2) ** 2 + 10, 0)
            study.tell(trial, (x - 2) ** 2 + (y + 1) ** 2)
    return clock.seconds / trials


def controller(root: Path, trials: int) -> float:
    from sweeps.controller.slot import run_slot
    from sweeps.spec import spec_from_dict
    from sweeps.study import prepare_study

    os.chdir(root)
    spec = spec_from_dict(sweep("controller", trials))
    prepare_study(spec)
    with timer() as clock:
        for slot in range(trials):
            run_slot(spec, slot, root / "receipts" / f"{slot}.json")
    return clock.seconds / trials


def workflow(root: Path, trials: int) -> float:
    project = root / "project"
    project.mkdir()
    shutil.copy(REPO / "Snakefile", project / "Snakefile")
    shutil.copytree(REPO / "workflow", project / "workflow")
    (project / "config" / "sweeps").mkdir(parents=True)
    (project / "config" / "sweeps" / "default.yaml").write_text(
        yaml.safe_dump(sweep("workflow", trials))
    )
    (project / "config" / "config.yaml").write_text(
        yaml.safe_dump({"sweep": "config/sweeps/default.yaml"})
    )
    command = [sys.executable, "-m", "snakemake", "--cores", "1", "--quiet", "all"]
    wall, _ = timed(lambda: subprocess.run(command, cwd=project, check=True, capture_output=True))
    return wall / trials


PATHS = {
    "baseline_ask_tell_s": ("in-process ask/tell", baseline),
    "controller_s": ("run_slot in-process", controller),
    "snakemake_s": ("snakemake --cores 1", workflow),
}


def main(argv: list[str] | None = None) -> int:
    bench = Benchmark(__doc__, __file__, repeat_help="rounds of all three paths; medians")
    bench.add_argument("--trials", type=int, default=20, help="trials per path and round")
    args = bench.parse(argv)
    here = Path.cwd()
    rounds: dict[str, list[float]] = {key: [] for key in PATHS}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.repeat):  # interleaved, so drift of the machine hits all
            root = Path(tmp) / str(round_)
            root.mkdir()
            for key, (_, run) in PATHS.items():
                rounds[key].append(run(root, args.trials))
        os.chdir(here)  # controller() ran in the scratch folder
    timings = {key: Timing(tuple(walls)) for key, walls in rounds.items()}
    per_trial = {key: t.median for key, t in timings.items()}
    base = per_trial["baseline_ask_tell_s"]
    figures = {
        "trials": args.trials,
        "per_trial": per_trial,
        "overhead_over_baseline_s": {
            k: v - base for k, v in per_trial.items() if k != "baseline_ask_tell_s"
        },
        "ratio_to_baseline": {k: v / base for k, v in per_trial.items()},
        "rounds": rounds,
    }
    table = Table(
        ["path", "ms/trial", "min ms/trial", "overhead over baseline ms", "x baseline"],
        align="lrrrr",
    )
    for key, (name, _) in PATHS.items():
        t = timings[key]
        over = "-" if key == "baseline_ask_tell_s" else f"{(t.median - base) * 1000:.1f}"
        table.add(
            name, f"{t.median * 1000:.1f}", f"{t.min * 1000:.1f}", over, f"{t.median / base:.1f}"
        )
    bench.report(f"{args.trials} trials per path, {args.repeat} round(s)", table, figures=figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
