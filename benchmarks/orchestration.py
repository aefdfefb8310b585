"""Per-trial orchestration overhead of a sweep vs a plain in-process Optuna ask/tell loop.

With a trivial objective, everything a trial costs is orchestration. Measured in one run, on
SQLite files in one scratch directory, with the same sampler:

- baseline:   `study.ask()` / objective / `study.tell()` in one Python process;
- controller: `run_slot` called in-process, slot after slot (ask, a submitit local job, tell);
- snakemake:  the whole workflow (`snakemake --cores 1`), one trial at a time.

    python benchmarks/orchestration.py [--trials 20]
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

import optuna
import yaml

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
    start = time.perf_counter()
    for _ in range(trials):
        trial = study.ask()
        x, y = trial.suggest_float("x", -5, 5), trial.suggest_float("y", -5, 5)
        trial.report((x - 2) ** 2 + 10, 0)
        study.tell(trial, (x - 2) ** 2 + (y + 1) ** 2)
    return (time.perf_counter() - start) / trials


def controller(root: Path, trials: int) -> float:
    from sweeps.controller.slot import run_slot
    from sweeps.spec import spec_from_dict
    from sweeps.study import prepare_study

    os.chdir(root)
    spec = spec_from_dict(sweep("controller", trials))
    prepare_study(spec)
    start = time.perf_counter()
    for slot in range(trials):
        run_slot(spec, slot, root / "receipts" / f"{slot}.json")
    return (time.perf_counter() - start) / trials


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
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "1", "--quiet", "all"],
        cwd=project,
        check=True,
        capture_output=True,
    )
    return (time.perf_counter() - start) / trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        per_trial = {
            "baseline_ask_tell_s": baseline(root, args.trials),
            "controller_s": controller(root, args.trials),
            "snakemake_s": workflow(root, args.trials),
        }
    base = per_trial["baseline_ask_tell_s"]
    report = {
        "trials": args.trials,
        "per_trial": per_trial,
        "overhead_over_baseline_s": {
            k: v - base for k, v in per_trial.items() if k != "baseline_ask_tell_s"
        },
        "ratio_to_baseline": {k: v / base for k, v in per_trial.items()},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
