"""Turning allocated GPU time into finished trials: warm workers vs a fresh process per trial.

GPU mode (default when torch sees a GPU), all in one run on the same GPU:
  * trials/hour and mean GPU utilisation of the reference objective (digits MLP) at 1, 2, 4, 8
    trials per GPU, with a fresh process per trial (job mode, k trials at once) and with warm
    workers (one worker, k lanes on the GPU);
  * the objective's time per optimiser step with and without its GPU-efficiency measures
    (naive loop vs data on device + bf16 autocast + fused AdamW, and with torch.compile).
CPU mode (``--mode cpu``): per-trial overhead of a fresh process per trial, of warm workers and
of HyperQueue tasks (when the ``hyperqueue`` package is installed), on a trial of known length;
reported in seconds and as a share of a 10 s trial.

Utilisation comes from NVML (``nvidia-ml-py``), else ``nvidia-smi``, else ``rocm-smi``.

    python benchmarks/gpu_throughput.py --mode gpu --out gpu-throughput.md
    python benchmarks/gpu_throughput.py --mode cpu --trials 6 --trial-s 2
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from _scratch import emit, scratch_folder

from sweeps.controller.slot import run_slot
from sweeps.spec import SweepSpec, load_spec
from sweeps.storage.optuna_internals import trial_id_of
from sweeps.study import prepare_study
from sweeps.warm.pool import WorkerPool

REFERENCE_TRIAL_S = 10.0


# --- sweeps -----------------------------------------------------------------------------------


def write_spec(folder: Path, study: str, objective: dict[str, Any], **extra: Any) -> Path:
    """A sweep file for one benchmark configuration; returns its path."""
    data: dict[str, Any] = {
        "study": study,
        "objective": objective,
        "direction": "maximize",
        "space": {"scale": {"type": "float", "low": 0.5, "high": 1.5}},
        "sampler": {"name": "RandomSampler"},
        "budget": {"n_trials": 1000, "max_retries": 0},
        "seed": 1,
        "resources": {"cpus": 1, "time_min": 30},
        **extra,
    }
    path = folder / f"{study}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def warm_dispatch(lanes: int, gpus: int) -> dict[str, Any]:
    return {
        "poll_interval_s": 0.05,
        "mode": "warm",
        "warm": {
            "workers": 1,
            "trials_per_gpu": lanes,
            "gpus_per_worker": gpus,
            "idle_timeout_s": 60,
            "poll_s": 0.05,
            "heartbeat_s": 2,
        },
    }


def run_sequential(spec: SweepSpec, n: int) -> float:
    """Run ``n`` slots one after another in this process; return the wall time."""
    prepare_study(spec)
    start = time.perf_counter()
    for slot in range(n):
        run_slot(spec, slot, Path(f"results/{spec.study}/trials/{slot}.json"))
    return time.perf_counter() - start


def run_controllers(path: Path, n: int, parallel: int) -> float:
    """Run ``n`` slots as ``sweeps trial`` processes, ``parallel`` at once (as Snakemake does)."""
    prepare_study(load_spec(path))
    pending = list(range(n))
    running: list[subprocess.Popen[bytes]] = []
    start = time.perf_counter()
    while pending or running:
        while pending and len(running) < parallel:
            slot = pending.pop(0)
            command = [sys.executable, "-m", "sweeps", "trial", "--spec", str(path)]
            command += ["--slot", str(slot), "--receipt", f"results/{path.stem}/trials/{slot}.json"]
            running.append(subprocess.Popen(command, stderr=subprocess.DEVNULL))
        running = [p for p in running if p.poll() is None]
        time.sleep(0.05)
    return time.perf_counter() - start


# --- GPU utilisation --------------------------------------------------------------------------


class UtilSampler:
    """Mean GPU utilisation (%) of device 0 while the block runs: NVML, nvidia-smi or rocm-smi."""

    def __init__(self, every_s: float = 0.2) -> None:
        self.every_s = every_s
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._read = self._reader()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _reader(self) -> Callable[[], float] | None:
        try:
            import pynvml

            pynvml.nvmlInit()
            handle = pynvml.nvmlDeviceGetHandleByIndex(0)
            return lambda: float(pynvml.nvmlDeviceGetUtilizationRates(handle).gpu)
        except Exception:
            pass
        if shutil.which("nvidia-smi"):
            query = ["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"]
            return lambda: float(subprocess.check_output([*query, "-i", "0"], text=True).split()[0])
        if shutil.which("rocm-smi"):

            def rocm() -> float:
                out = json.loads(subprocess.check_output(["rocm-smi", "--showuse", "--json"]))
                card = out[sorted(out)[0]]
                return float(next(v for k, v in card.items() if "GPU use" in k))

            return rocm
        return None

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            if self._read is not None:
                with contextlib.suppress(Exception):
                    self.samples.append(self._read())

    def __enter__(self) -> UtilSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.samples) if self.samples else None


# --- GPU mode ---------------------------------------------------------------------------------


def gpu_throughput(folder: Path, per_gpu: list[int], trials: int, epochs: int) -> list[str]:
    """trials/hour and GPU utilisation for each k: fresh processes vs warm lanes."""
    objective = {
        "function": "sweeps.objectives.digits:train_mlp",
        "args": {
            "epochs": epochs,
            "batch_size": 128,
            "report_every": max(epochs // 10, 1),
            "checkpoint_every": max(epochs // 4, 1),
        },
    }
    space = {
        "lr": {"type": "float", "low": 1e-3, "high": 1e-2, "log": True},
        "hidden": {"type": "categorical", "choices": [256]},
        "layers": {"type": "categorical", "choices": [2]},
    }
    rows = [
        "| trials/GPU | dispatch | trials | wall s | trials/hour | x fresh k=1 | GPU util % |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    baseline: float | None = None
    for k in per_gpu:
        n = max(trials, 2 * k)
        for mode in ("fresh", "warm"):
            extra: dict[str, Any] = {"space": space, "resources": {"gpus": 1, "time_min": 30}}
            if mode == "warm":
                extra["dispatch"] = warm_dispatch(k, gpus=1)
            path = write_spec(folder, f"gpu-{mode}-{k}", objective, **extra)
            with UtilSampler() as util:
                wall = run_controllers(path, n, parallel=k if mode == "fresh" else k + 1)
            if mode == "warm":
                WorkerPool(load_spec(path)).stop()
            per_hour = n / wall * 3600
            baseline = baseline or per_hour
            mean = f"{util.mean:.0f}" if util.mean is not None else "n/a"
            rows.append(
                f"| {k} | {mode} | {n} | {wall:.1f} | {per_hour:.0f} | "
                f"{per_hour / baseline:.2f} | {mean} |"
            )
            print(rows[-1], flush=True)
    return rows


def step_times(folder: Path, steps: int = 400) -> list[str]:
    """Time per optimiser step of the reference objective, with and without its measures."""
    import torch

    from sweeps.job.handle import TrialHandle
    from sweeps.job.task import TrialTask
    from sweeps.objectives.digits import train_mlp
    from sweeps.study.slots import create_slot_trial

    path = write_spec(
        folder,
        "steps",
        {"function": "sweeps.objectives.digits:train_mlp"},
        resources={"gpus": 1 if torch.cuda.is_available() else 0, "time_min": 30},
    )
    spec = load_spec(path)
    study = prepare_study(spec)
    params = {"lr": 3e-3, "hidden": 256, "layers": 2}
    batch = 128
    per_epoch = -(-1347 // batch)
    epochs = max(steps // per_epoch, 2)
    variants = [
        ("naive: host data, per-step sync, fp32", {"efficient": False}),
        ("data on device, bf16 autocast, fused AdamW", {}),
        ("... and torch.compile", {"compile": True}),
    ]
    rows = ["| loop | ms/step | x naive |", "|---|---:|---:|"]
    naive: float | None = None
    for name, args in variants:
        timings = {}
        # Warm up (and compile), then difference a long and a short run: what remains is the
        # cost of the extra steps alone, without data loading, model set-up or compilation.
        for n_epochs in (2, epochs, 2 * epochs):
            trial = create_slot_trial(study, 0, 0)
            task = TrialTask(spec, trial_id_of(trial), trial.number, 0, 0, params, 1, str(folder))
            start = time.perf_counter()
            train_mlp(
                params,
                TrialHandle(task),
                epochs=n_epochs,
                batch_size=batch,
                report_every=n_epochs,
                checkpoint_every=0,
                **args,
            )
            timings[n_epochs] = time.perf_counter() - start
        ms = (timings[2 * epochs] - timings[epochs]) / (epochs * per_epoch) * 1000
        naive = naive or ms
        rows.append(f"| {name} | {ms:.3f} | {naive / ms:.2f} |")
        print(rows[-1], flush=True)
    return rows


# --- CPU mode ---------------------------------------------------------------------------------


def busy_task(seconds: float) -> float:
    """What a HyperQueue task runs: the same trial body, in a fresh Python process."""
    import torch

    a = torch.randn(128, 128) / 128**0.5
    b = a.clone()
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        b = torch.tanh(a @ b)
    return float(b.sum())


def hyperqueue_wall(folder: Path, n: int, seconds: float) -> float | None:
    """Wall time of ``n`` one-after-another HyperQueue function tasks, or None without HQ."""
    try:
        from hyperqueue import Job
        from hyperqueue.cluster import LocalCluster, WorkerConfig
        from hyperqueue.task.function import PythonEnv
    except ImportError:
        return None
    with LocalCluster(
        server_dir=str(folder / "hq"), worker_config=WorkerConfig(cores=1)
    ) as cluster:
        client = cluster.client(python_env=PythonEnv(python_bin=sys.executable))
        job = Job()
        for _ in range(n):  # one worker core: the tasks run one after another
            job.function(busy_task, args=(seconds,))
        start = time.perf_counter()
        client.wait_for_jobs([client.submit(job)])
        return time.perf_counter() - start


def cpu_overhead(folder: Path, n: int, seconds: float) -> list[str]:
    """Per-trial overhead (wall per trial minus the trial's own work), one trial at a time."""
    objective = {
        "function": "sweeps.objectives.busy:matmul_for",
        "args": {"seconds": seconds, "size": 128},
    }
    walls: dict[str, float | None] = {}
    job_dispatch = {"poll_interval_s": 0.05}
    fresh = load_spec(write_spec(folder, "cpu-fresh", objective, dispatch=job_dispatch))
    walls["fresh process per trial (job mode, LocalExecutor)"] = run_sequential(fresh, n)
    warm = load_spec(write_spec(folder, "cpu-warm", objective, dispatch=warm_dispatch(1, 0)))
    first = run_sequential(warm, 1)  # starts the worker job: paid once per worker
    start = time.perf_counter()
    for slot in range(1, n + 1):
        run_slot(warm, slot, Path(f"results/cpu-warm/trials/{slot}.json"))
    walls["warm worker (1 lane), each trial after the first"] = time.perf_counter() - start
    walls["warm worker, its first trial (starts the worker job)"] = first * n
    WorkerPool(warm).stop()
    walls["HyperQueue, a task per trial (no study I/O)"] = hyperqueue_wall(folder, n, seconds)
    rows = [
        f"| dispatch | s/trial | overhead s/trial | overhead / {REFERENCE_TRIAL_S:g} s trial |",
        "|---|---:|---:|---:|",
    ]
    for name, wall in walls.items():
        if wall is None:
            rows.append(f"| {name} | not installed | | |")
            continue
        per = wall / n
        over = per - seconds
        rows.append(f"| {name} | {per:.2f} | {over:.2f} | {100 * over / REFERENCE_TRIAL_S:.1f}% |")
        print(rows[-1], flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["auto", "gpu", "cpu"], default="auto")
    parser.add_argument("--trials", type=int, default=8, help="trials per configuration")
    parser.add_argument("--trial-s", type=float, default=2.0, help="CPU mode: trial length")
    parser.add_argument("--per-gpu", default="1,2,4,8", help="GPU mode: trials per GPU")
    parser.add_argument("--epochs", type=int, default=600, help="GPU mode: epochs per trial")
    parser.add_argument("--out", type=Path, default=None, help="also write the tables here")
    args = parser.parse_args()
    mode = args.mode
    if mode == "auto":
        import torch

        mode = "gpu" if torch.cuda.is_available() else "cpu"
    out = args.out.resolve() if args.out else None
    lines: list[str] = [f"# gpu_throughput ({mode} mode)", ""]
    with scratch_folder("sweeps-bench-") as folder:
        if mode == "gpu":
            import torch

            name = torch.cuda.get_device_name() if torch.cuda.is_available() else "none (smoke run)"
            lines += [f"device: {name}", ""]
            per_gpu = [int(k) for k in args.per_gpu.split(",")]
            lines += [*gpu_throughput(folder, per_gpu, args.trials, args.epochs), ""]
            lines += step_times(folder)
        else:
            lines += [f"{args.trials} trials of {args.trial_s:g} s each, one at a time", ""]
            lines += cpu_overhead(folder, args.trials, args.trial_s)
    emit(lines, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
