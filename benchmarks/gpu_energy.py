"""Energy per trial on one GPU: one trial at a time vs 8 trials packed on the GPU (warm lanes).

For each k in --per-gpu, the same number of digits-MLP trials of the same length run through
warm workers with k lanes on GPU 0, while an EnergyMeter (sweeps.job.energy: NVML on NVIDIA,
amdsmi on AMD, pm_counters on Cray) reads the GPU's energy counter at start and end. The GPU's
idle power, measured before each run, gives the idle-subtracted figure alongside the raw one.
``--mode cpu`` runs the same on the CPU with RAPL when it is readable, else says why not.

    python benchmarks/gpu_energy.py --mode gpu --out energy.md
    python benchmarks/gpu_energy.py --mode cpu --trials 2 --epochs 2

``--repeat N`` runs each k N times (a study each) and reports the median of each figure.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from _harness import Benchmark, Table, median_row
from _scratch import scratch_folder
from gpu_throughput import run_controllers, warm_dispatch, write_spec

from sweeps.job.energy import Counter, EnergyMeter, NotMeasurable, find_counter
from sweeps.run.strategies.warm.pool import WorkerPool
from sweeps.spec import load_spec

IDLE_S = 8.0


def digits_objective(epochs: int) -> dict[str, Any]:
    return {
        "function": "sweeps.objectives.digits:train_mlp",
        "args": {
            "epochs": epochs,
            "batch_size": 128,
            "report_every": max(epochs // 10, 1),
            "checkpoint_every": 0,
        },
    }


SPACE = {
    "lr": {"type": "float", "low": 1e-3, "high": 1e-2, "log": True},
    "hidden": {"type": "categorical", "choices": [256]},
    "layers": {"type": "categorical", "choices": [2]},
}


def idle_watts(gpus: list[int]) -> float | None:
    """Mean power over IDLE_S seconds with nothing running."""
    try:
        meter = EnergyMeter(find_counter(gpus))
    except NotMeasurable:
        return None
    meter.start()
    time.sleep(IDLE_S)
    energy = meter.stop()
    return energy.total_j / energy.seconds


def energy_run(
    folder: Path, study: str, k: int, trials: int, epochs: int, gpu: bool, counter: Counter
) -> dict[str, Any]:
    """One run of ``trials`` trials on ``k`` warm lanes, metered; its figures."""
    gpus = [0] if gpu else []
    idle = idle_watts(gpus)
    extra: dict[str, Any] = {
        "space": SPACE,
        "resources": {"gpus": 1 if gpu else 0, "time_min": 30},
        "dispatch": warm_dispatch(k, gpus=1 if gpu else 0),
    }
    path = write_spec(folder, study, digits_objective(epochs), **extra)
    meter = EnergyMeter(counter)
    meter.start()
    try:
        wall = run_controllers(path, trials, parallel=k + 1)
        energy = meter.stop()
    finally:
        WorkerPool(load_spec(path)).stop()
    above = (energy.total_j - idle * energy.seconds) / trials if idle is not None else None
    return {
        "wall_s": wall,
        "energy_j": energy.total_j,
        "j_per_trial": energy.total_j / trials,
        "idle_w": idle,
        "j_per_trial_above_idle": above,
        "mean_w": energy.total_j / energy.seconds,
    }


def energy_rows(
    folder: Path, per_gpu: list[int], trials: int, epochs: int, gpu: bool, repeats: int = 1
) -> list[Table | str]:
    """The energy table (medians over ``repeats`` runs per k), or why there is none."""
    try:
        counter = find_counter([0] if gpu else [])
    except NotMeasurable as err:
        return [f"not measurable here: {err}"]
    table = Table(
        [
            "trials/GPU",
            "trials",
            "wall s",
            "energy J",
            "J/trial",
            "min J/trial",
            "Wh/trial",
            "idle W",
            "J/trial above idle",
            "mean W",
            "x k=1 J/trial",
        ],
        align="r" * 11,
    )
    baseline = None
    for k in per_gpu:
        runs = [
            energy_run(
                folder, f"energy-{k}" + (f"-{r}" if r else ""), k, trials, epochs, gpu, counter
            )
            for r in range(repeats)
        ]
        m = median_row(runs)
        per_trial = m["j_per_trial"]
        baseline = baseline or per_trial
        idle, above = m["idle_w"], m["j_per_trial_above_idle"]
        row = table.add(
            k,
            trials,
            f"{m['wall_s']:.1f}",
            f"{m['energy_j']:.0f}",
            f"{per_trial:.1f}",
            f"{min(r['j_per_trial'] for r in runs):.1f}",
            f"{per_trial / 3600:.4f}",
            f"{idle:.0f}" if idle is not None else "n/a",
            f"{above:.1f}" if above is not None else "n/a",
            f"{m['mean_w']:.0f}",
            f"{per_trial / baseline:.2f}",
        )
        print(row, flush=True)
    return [f"source: {counter.name}", table]


def main(argv: list[str] | None = None) -> int:
    bench = Benchmark(__doc__, __file__, repeat_help="runs of each k (a study each); medians")
    bench.add_argument("--mode", choices=["gpu", "cpu"], default="gpu")
    bench.add_argument("--trials", type=int, default=16, help="trials per configuration")
    bench.add_argument("--per-gpu", default="1,8", help="trials packed per GPU")
    bench.add_argument("--epochs", type=int, default=300, help="epochs per trial")
    args = bench.parse(argv)
    parts: list[Table | str] = [f"{args.mode} mode"]
    with scratch_folder("sweeps-energy-") as folder:
        if args.mode == "gpu":
            import torch

            parts.append(f"device: {torch.cuda.get_device_name()}")
        parts.append(f"{args.trials} trials of {args.epochs} epochs per row, warm workers")
        per_gpu = [int(k) for k in args.per_gpu.split(",")]
        gpu = args.mode == "gpu"
        parts += energy_rows(folder, per_gpu, args.trials, args.epochs, gpu, args.repeat)
    bench.report(*parts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
