"""Energy per trial on one GPU: one trial at a time vs 8 trials packed on the GPU (warm lanes).

For each k in --per-gpu, the same number of digits-MLP trials of the same length run through
warm workers with k lanes on GPU 0, while an EnergyMeter (sweeps.job.energy: NVML on NVIDIA,
amdsmi on AMD, pm_counters on Cray) reads the GPU's energy counter at start and end. The GPU's
idle power, measured before each run, gives the idle-subtracted figure alongside the raw one.
``--mode cpu`` runs the same on the CPU with RAPL when it is readable, else says why not.

    python benchmarks/gpu_energy.py --mode gpu --out energy.md
    python benchmarks/gpu_energy.py --mode cpu --trials 2 --epochs 2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from _scratch import emit, scratch_folder
from gpu_throughput import run_controllers, warm_dispatch, write_spec

from sweeps.job.energy import EnergyMeter, NotMeasurable, find_counter
from sweeps.spec import load_spec
from sweeps.warm.pool import WorkerPool

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


def energy_rows(folder: Path, per_gpu: list[int], trials: int, epochs: int, gpu: bool) -> list[str]:
    gpus = [0] if gpu else []
    try:
        counter = find_counter(gpus)
    except NotMeasurable as err:
        return [f"not measurable here: {err}"]
    rows = [
        f"source: {counter.name}",
        "",
        "| trials/GPU | trials | wall s | energy J | J/trial | Wh/trial | idle W "
        "| J/trial above idle | mean W | x k=1 J/trial |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    baseline = None
    for k in per_gpu:
        idle = idle_watts(gpus)
        extra: dict[str, Any] = {
            "space": SPACE,
            "resources": {"gpus": 1 if gpu else 0, "time_min": 30},
            "dispatch": warm_dispatch(k, gpus=1 if gpu else 0),
        }
        path = write_spec(folder, f"energy-{k}", digits_objective(epochs), **extra)
        meter = EnergyMeter(counter)
        meter.start()
        try:
            wall = run_controllers(path, trials, parallel=k + 1)
            energy = meter.stop()
        finally:
            WorkerPool(load_spec(path)).stop()
        per_trial = energy.total_j / trials
        baseline = baseline or per_trial
        above = (energy.total_j - idle * energy.seconds) / trials if idle is not None else None
        rows.append(
            f"| {k} | {trials} | {wall:.1f} | {energy.total_j:.0f} | {per_trial:.1f} | "
            f"{per_trial / 3600:.4f} | {f'{idle:.0f}' if idle is not None else 'n/a'} | "
            f"{f'{above:.1f}' if above is not None else 'n/a'} | "
            f"{energy.total_j / energy.seconds:.0f} | {per_trial / baseline:.2f} |"
        )
        print(rows[-1], flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["gpu", "cpu"], default="gpu")
    parser.add_argument("--trials", type=int, default=16, help="trials per configuration")
    parser.add_argument("--per-gpu", default="1,8", help="trials packed per GPU")
    parser.add_argument("--epochs", type=int, default=300, help="epochs per trial")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()
    out = args.out.resolve() if args.out else None
    lines = [f"# gpu_energy ({args.mode} mode)", ""]
    with scratch_folder("sweeps-energy-") as folder:
        if args.mode == "gpu":
            import torch

            lines += [f"device: {torch.cuda.get_device_name()}", ""]
        lines.append(f"{args.trials} trials of {args.epochs} epochs per row, warm workers")
        lines.append("")
        per_gpu = [int(k) for k in args.per_gpu.split(",")]
        lines += energy_rows(folder, per_gpu, args.trials, args.epochs, args.mode == "gpu")
    emit(lines, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
