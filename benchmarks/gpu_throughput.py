"""Turning allocated GPU time into finished trials: warm workers vs a fresh process per trial.

GPU mode (default when torch sees a GPU), all in one run on the same GPU:
  * trials/hour and mean GPU utilisation of the reference objective (digits MLP) at 1, 2, 4, 8
    trials per GPU, with a fresh process per trial (job mode, k trials at once) and with warm
    workers (one worker, k lanes on the GPU);
  * a 2-rank trial (DDP, both ranks on the one GPU) against the same trial as 1 rank: time per
    trial and GPU utilisation;
  * the objective's time per optimiser step with and without its GPU-efficiency measures
    (naive loop vs data on device + bf16 autocast + fused AdamW, and with torch.compile).
CPU mode (``--mode cpu``): per-trial overhead of a fresh process per trial, of warm workers and
of HyperQueue tasks (when the ``hyperqueue`` package is installed), on a trial of known length;
reported in seconds and as a share of a 10 s trial.

Utilisation comes from NVML (``nvidia-ml-py``), else ``nvidia-smi``, else ``rocm-smi``.

    python benchmarks/gpu_throughput.py --mode gpu --out gpu-throughput.md
    python benchmarks/gpu_throughput.py --mode cpu --trials 6 --trial-s 2 [--repeat 3]

``--repeat N`` runs each configuration N times (a study each) and reports the median wall.
"""

from __future__ import annotations

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
from _harness import Benchmark, Table, Timing, timed, timer
from _scratch import scratch_folder

from sweeps.controller.slot import run_slot
from sweeps.run.strategies.warm.pool import WorkerPool
from sweeps.spec import SweepSpec, load_spec
from sweeps.storage.optuna_internals import trial_id_of
from sweeps.study import prepare_study

REFERENCE_TRIAL_S = 10.0
DIGITS_SPACE = {
    "lr": {"type": "float", "low": 1e-3, "high": 1e-2, "log": True},
    "hidden": {"type": "categorical", "choices": [256]},
    "layers": {"type": "categorical", "choices": [2]},
}


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
    with timer() as clock:
        for slot in range(n):
            run_slot(spec, slot, Path(f"results/{spec.study}/trials/{slot}.json"))
    return clock.seconds


def run_controllers(path: Path, n: int, parallel: int) -> float:
    """Run ``n`` slots as ``sweeps trial`` processes, ``parallel`` at once (as Snakemake does)."""
    prepare_study(load_spec(path))
    pending = list(range(n))
    running: list[subprocess.Popen[bytes]] = []
    with timer() as clock:
        while pending or running:
            while pending and len(running) < parallel:
                slot = pending.pop(0)
                command = [sys.executable, "-m", "sweeps", "trial", "--spec", str(path)]
                receipt = f"results/{path.stem}/trials/{slot}.json"
                command += ["--slot", str(slot), "--receipt", receipt]
                running.append(subprocess.Popen(command, stderr=subprocess.DEVNULL))
            running = [p for p in running if p.poll() is None]
            time.sleep(0.05)
    return clock.seconds


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


def gpu_throughput(
    folder: Path, per_gpu: list[int], trials: int, epochs: int, repeats: int = 1
) -> Table:
    """trials/hour and GPU utilisation for each k: fresh processes vs warm lanes (median wall
    of ``repeats`` runs, a study each)."""
    objective = {
        "function": "sweeps.objectives.digits:train_mlp",
        "args": {
            "epochs": epochs,
            "batch_size": 128,
            "report_every": max(epochs // 10, 1),
            "checkpoint_every": max(epochs // 4, 1),
        },
    }
    space = DIGITS_SPACE
    table = Table(
        [
            "trials/GPU",
            "dispatch",
            "trials",
            "wall s",
            "min wall s",
            "trials/hour",
            "x fresh k=1",
            "GPU util %",
        ],
        align="rlrrrrrr",
    )
    baseline: float | None = None
    for k in per_gpu:
        n = max(trials, 2 * k)
        for mode in ("fresh", "warm"):
            walls, utils = [], []
            for round_ in range(repeats):
                extra: dict[str, Any] = {"space": space, "resources": {"gpus": 1, "time_min": 30}}
                if mode == "warm":
                    extra["dispatch"] = warm_dispatch(k, gpus=1)
                study = f"gpu-{mode}-{k}" + (f"-{round_}" if round_ else "")
                path = write_spec(folder, study, objective, **extra)
                with UtilSampler() as util:
                    walls.append(run_controllers(path, n, parallel=k if mode == "fresh" else k + 1))
                if mode == "warm":
                    WorkerPool(load_spec(path)).stop()
                if util.mean is not None:
                    utils.append(util.mean)
            wall = Timing(tuple(walls))
            per_hour = n / wall.median * 3600
            baseline = baseline or per_hour
            mean = f"{statistics.median(utils):.0f}" if utils else "n/a"
            row = table.add(
                k,
                mode,
                n,
                f"{wall.median:.1f}",
                f"{wall.min:.1f}",
                f"{per_hour:.0f}",
                f"{per_hour / baseline:.2f}",
                mean,
            )
            print(row, flush=True)
    return table


def multi_rank(folder: Path, trials: int, epochs: int, repeats: int = 1) -> Table:
    """A trial as 2 ranks sharing one GPU (DDP over gloo, each rank half of every batch)
    against the same trial as 1 rank: wall per trial and GPU utilisation, one trial at a time
    (median of ``repeats`` runs, a study each)."""
    table = Table(
        ["ranks", "trials", "wall s", "s/trial", "x 1 rank", "GPU util %", "trial state"],
        align="rrrrrrl",
    )
    baseline: float | None = None
    for ranks in (1, 2):
        objective = {
            "function": "sweeps.objectives.digits:train_mlp",
            "args": {"epochs": epochs, "batch_size": 128, "report_every": max(epochs // 10, 1)},
        }
        if ranks > 1:
            objective["args"]["backend"] = "gloo"  # NCCL refuses two ranks on one GPU
        resources = {"gpus": 1, "tasks_per_node": ranks, "time_min": 30}
        walls, utils, states = [], [], set()
        for round_ in range(repeats):
            study = f"ranks-{ranks}" + (f"-{round_}" if round_ else "")
            path = write_spec(folder, study, objective, space=DIGITS_SPACE, resources=resources)
            with UtilSampler() as util:
                walls.append(run_controllers(path, trials, parallel=1))
            if util.mean is not None:
                utils.append(util.mean)
            states |= _states(path)
        wall = Timing(tuple(walls))
        per_trial = wall.median / trials
        baseline = baseline or per_trial
        mean = f"{statistics.median(utils):.0f}" if utils else "n/a"
        row = table.add(
            ranks,
            trials,
            f"{wall.median:.1f}",
            f"{per_trial:.2f}",
            f"{per_trial / baseline:.2f}",
            mean,
            ", ".join(sorted(states)),
        )
        print(row, flush=True)
    return table


def _states(path: Path) -> set[str]:
    """The final states of a configuration's trials (a rank that failed shows here)."""
    import optuna

    spec = load_spec(path)
    study = optuna.load_study(study_name=spec.study, storage=spec.storage_url)
    return {trial.state.name for trial in study.trials}


def step_times(folder: Path, steps: int = 400, repeats: int = 1) -> Table:
    """Time per optimiser step of the reference objective, with and without its measures
    (median of ``repeats``)."""
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
    table = Table(["loop", "ms/step", "min ms/step", "x naive"], align="lrrr")
    naive: float | None = None
    for name, args in variants:
        per_step = []
        for _ in range(repeats):
            timings = {}
            # Warm up (and compile), then difference a long and a short run: what remains is
            # the cost of the extra steps alone, without data loading, model set-up or
            # compilation.
            for n_epochs in (2, epochs, 2 * epochs):
                trial = create_slot_trial(study, 0, 0)
                task = TrialTask(
                    spec, trial_id_of(trial), trial.number, 0, 0, params, 1, str(folder)
                )
                timings[n_epochs], _ = timed(
                    lambda task=task, n_epochs=n_epochs, args=args: train_mlp(
                        params,
                        TrialHandle(task),
                        epochs=n_epochs,
                        batch_size=batch,
                        report_every=n_epochs,
                        checkpoint_every=0,
                        **args,
                    )
                )
            per_step.append((timings[2 * epochs] - timings[epochs]) / (epochs * per_epoch) * 1000)
        ms = statistics.median(per_step)
        naive = naive or ms
        print(table.add(name, f"{ms:.3f}", f"{min(per_step):.3f}", f"{naive / ms:.2f}"), flush=True)
    return table


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
        return timed(lambda: client.wait_for_jobs([client.submit(job)]))[0]


def cpu_walls(folder: Path, n: int, seconds: float, suffix: str) -> dict[str, float | None]:
    """One round: the wall time of ``n`` trials per dispatch, one trial at a time."""
    objective = {
        "function": "sweeps.objectives.busy:matmul_for",
        "args": {"seconds": seconds, "size": 128},
    }
    walls: dict[str, float | None] = {}
    job_dispatch = {"poll_interval_s": 0.05}
    fresh = load_spec(write_spec(folder, f"cpu-fresh{suffix}", objective, dispatch=job_dispatch))
    walls["fresh process per trial (job mode, LocalExecutor)"] = run_sequential(fresh, n)
    warm_spec = write_spec(folder, f"cpu-warm{suffix}", objective, dispatch=warm_dispatch(1, 0))
    warm = load_spec(warm_spec)
    first = run_sequential(warm, 1)  # starts the worker job: paid once per worker
    with timer() as clock:
        for slot in range(1, n + 1):
            run_slot(warm, slot, Path(f"results/{warm.study}/trials/{slot}.json"))
    walls["warm worker (1 lane), each trial after the first"] = clock.seconds
    walls["warm worker, its first trial (starts the worker job)"] = first * n
    WorkerPool(warm).stop()
    walls["HyperQueue, a task per trial (no study I/O)"] = hyperqueue_wall(folder, n, seconds)
    return walls


def cpu_overhead(folder: Path, n: int, seconds: float, repeats: int = 1) -> Table:
    """Per-trial overhead (wall per trial minus the trial's own work), one trial at a time;
    the median of ``repeats`` rounds."""
    rounds = [cpu_walls(folder, n, seconds, f"-{r}" if r else "") for r in range(repeats)]
    table = Table(
        [
            "dispatch",
            "s/trial",
            "overhead s/trial",
            "min overhead s/trial",
            f"overhead / {REFERENCE_TRIAL_S:g} s trial",
        ],
        align="lrrrr",
    )
    for name in rounds[0]:
        walls = [w for w in (r[name] for r in rounds) if w is not None]
        if not walls:
            table.add(name, "not installed", "", "", "")
            continue
        wall = Timing(tuple(walls))
        per = wall.median / n
        over = per - seconds
        row = table.add(
            name,
            f"{per:.2f}",
            f"{over:.2f}",
            f"{wall.min / n - seconds:.2f}",
            f"{100 * over / REFERENCE_TRIAL_S:.1f}%",
        )
        print(row, flush=True)
    return table


def main(argv: list[str] | None = None) -> int:
    bench = Benchmark(
        __doc__, __file__, repeat_help="runs of each configuration (a study each); medians"
    )
    bench.add_argument("--mode", choices=["auto", "gpu", "cpu"], default="auto")
    bench.add_argument("--trials", type=int, default=8, help="trials per configuration")
    bench.add_argument("--trial-s", type=float, default=2.0, help="CPU mode: trial length")
    bench.add_argument("--per-gpu", default="1,2,4,8", help="GPU mode: trials per GPU")
    bench.add_argument("--epochs", type=int, default=600, help="GPU mode: epochs per trial")
    args = bench.parse(argv)
    mode = args.mode
    if mode == "auto":
        import torch

        mode = "gpu" if torch.cuda.is_available() else "cpu"
    parts: list[Table | str] = [f"{mode} mode"]
    with scratch_folder("sweeps-bench-") as folder:
        if mode == "gpu":
            import torch

            name = torch.cuda.get_device_name() if torch.cuda.is_available() else "none (smoke run)"
            parts.append(f"device: {name}")
            per_gpu = [int(k) for k in args.per_gpu.split(",")]
            parts.append(gpu_throughput(folder, per_gpu, args.trials, args.epochs, args.repeat))
            parts.append("one trial as 2 ranks sharing the GPU, against 1 rank (same work)")
            parts.append(multi_rank(folder, max(args.trials // 2, 2), args.epochs, args.repeat))
            parts.append(step_times(folder, repeats=args.repeat))
        else:
            parts.append(f"{args.trials} trials of {args.trial_s:g} s each, one at a time")
            parts.append(cpu_overhead(folder, args.trials, args.trial_s, args.repeat))
    bench.report(*parts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
