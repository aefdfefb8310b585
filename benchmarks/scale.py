"""Controller storage cost per trial as the study grows: plain Optuna vs a slot's controller.

For studies pre-filled with 100 / 2,000 / 10,000 finished trials (TPE, 3 parameters, 5
intermediate values each) on SQLite and PostgreSQL (127.0.0.1, trust auth), the median
milliseconds per trial of:

- plain:  Optuna's ask, suggest 3 parameters, tell, on a study loaded once (TPE);
- warm:   ``run_slot`` called again and again in one process (threads mode: every controller
          of a run shares the process's storage), with a dispatch mode that ends the trial at
          once, so only the controller's own path counts (load study, stale sweep, slot
          trials, create, suggest, heartbeat, attributes, tell, receipt);
- fresh:  one process per trial, as a bare ``snakemake`` runs ``sweeps trial``; reported with
          and without the start-up (Python and imports) of a process that does nothing else,
          measured in the same run;
- plain fresh: for comparison, one process per trial of plain Optuna (load the study, ask,
          suggest, tell), net of the same start-up.

Ratios are against plain on the same row and against the first (smallest) row of the column.

    python benchmarks/scale.py [--quick] [--sizes 100,2000,10000] [--backends sqlite,postgresql]
                               [--baseline ../other-checkout/src]
    python benchmarks/scale.py --lanes 8,64,256 [--quick] [--backends sqlite,postgresql]
    (either: [--repeat N] [--json FILE] [--out PATH])

``--lanes`` measures instead many lanes on one study at once, with and without the storage
proxy: per-trial ms, trials per second and peak connections (``_lanes.py``).

One study per backend grows through the sizes (each size's measured trials stay in it: a few
dozen). With ``--baseline``, each size is measured with the other checkout's code first, then
with this one (which so sees ``2 * trials + 1`` more trials). ``--repeat N`` measures each
cell N times (N times the slots; each figure's median), and each ``--lanes`` cell N times.
"""

from __future__ import annotations

import json
import math
import random
import statistics
import subprocess
import sys
import tempfile
import threading
from argparse import SUPPRESS
from pathlib import Path

import optuna
import yaml
from _harness import Benchmark, Table, median_row, timed
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.storages import RDBStorage
from optuna.trial import TrialState, create_trial
from storage import backend_url

HERE = Path(__file__).resolve().parent
STEPS = 5
DISTRIBUTIONS = {
    "x": FloatDistribution(-5.0, 5.0),
    "y": IntDistribution(1, 64, log=True),
    "z": CategoricalDistribution(["a", "b", "c"]),
}
SLOT_KEY = "sweeps:slot"  # sweeps.study.keys.Key.SLOT, spelt out: the fill runs without sweeps


def write_spec(root: Path, url: str, study: str, n_trials: int) -> Path:
    spec = {
        "study": study,
        "storage": url,
        "objective": {"function": "sweeps.objectives.toy:quadratic"},
        "direction": "minimize",
        "space": {
            "x": {"type": "float", "low": -5.0, "high": 5.0},
            "y": {"type": "int", "low": 1, "high": 64, "log": True},
            "z": {"type": "categorical", "choices": ["a", "b", "c"]},
        },
        "sampler": {"name": "TPESampler", "seed": 1},
        "budget": {"n_trials": n_trials},
        "parallelism": 4,
        "resources": {"time_min": 10},
        "dispatch": {"executor": "local", "poll_interval_s": 0.2},
    }
    path = root / f"{study}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def fill(url: str, study: str, slots: range) -> None:
    """Add a finished trial for each of ``slots``, in bulk (one process, no retries)."""
    rng = random.Random(slots.start)
    storage = RDBStorage(url)
    loaded = optuna.load_study(study_name=study, storage=storage)
    trials = []
    for slot in slots:
        params = {"x": rng.uniform(-5, 5), "y": rng.randint(1, 64), "z": rng.choice("abc")}
        value = params["x"] ** 2 + math.log(params["y"]) + (params["z"] == "a")
        trials.append(
            create_trial(
                params=params,
                distributions=DISTRIBUTIONS,
                value=value,
                intermediate_values={s: value * (STEPS - s) for s in range(STEPS)},
                system_attrs={SLOT_KEY: slot, "sweeps:attempt": 0},
                state=TrialState.COMPLETE,
            )
        )
    loaded.add_trials(trials)


def plain_ms(url: str, study: str, k: int) -> list[float]:
    """Per-trial ms of plain Optuna ask/suggest/tell with TPE, study loaded once."""
    loaded = optuna.load_study(
        study_name=study, storage=url, sampler=optuna.samplers.TPESampler(seed=2)
    )

    def one() -> None:
        trial = loaded.ask()
        x = trial.suggest_float("x", -5, 5)
        y = trial.suggest_int("y", 1, 64, log=True)
        z = trial.suggest_categorical("z", ["a", "b", "c"])
        loaded.tell(trial, x * x + y + (z == "a"))

    return [timed(one)[0] * 1000 for _ in range(k)]


def install_instant_mode() -> None:
    """Make the sweep's dispatch mode end each trial at once (a near-zero objective whose own
    time is not counted): only the controller's path is left to measure."""
    from sweeps.job.task import TrialOutcome
    from sweeps.run.strategies import STRATEGIES, Strategy

    class Done:
        where = "nowhere"

        def __init__(self, value: float) -> None:
            self.value = value

        def wait(self, stop: threading.Event | None) -> TrialOutcome:
            return TrialOutcome(state="complete", values=[self.value])

        def cancel(self) -> str:
            return "nothing to cancel"

        def keep(self) -> str:
            return "nothing to keep"

    class Instant(Strategy):
        name = "job"

        def start(self, spec, study, trial, task):  # type: ignore[no-untyped-def]
            p = task.params
            return Done(p["x"] ** 2 + math.log(p["y"]) + (p["z"] == "a"))

    STRATEGIES["job"] = Instant()


def warm_ms(spec_path: Path, slots: range) -> list[float]:
    """Per-trial ms of ``run_slot`` in this (already warm) process."""
    from sweeps.controller.slot import run_slot
    from sweeps.spec import load_spec

    install_instant_mode()
    spec = load_spec(spec_path)
    receipts = spec_path.parent / "receipts"
    run_slot(spec, slots[0], receipts / f"{slots[0]}.json")  # warm: imports, connection, cache
    return [
        timed(lambda slot=slot: run_slot(spec, slot, receipts / f"{slot}.json"))[0] * 1000
        for slot in slots[1:]
    ]


def fresh_ms(
    spec_path: Path, url: str, slots: range, pythonpath: str
) -> tuple[list[float], list[float], list[float]]:
    """Per-trial ms of a fresh ``sweeps trial`` process, of a fresh plain Optuna process, and of
    a bare start-up (Python and the same imports), interleaved."""
    env = {"PYTHONPATH": pythonpath, "PATH": "/usr/bin:/bin"}
    receipts = spec_path.parent / "receipts"
    trial: list[float] = []
    plain: list[float] = []
    bare: list[float] = []
    study = yaml.safe_load(spec_path.read_text())["study"]
    for slot in slots:
        for argv, times in (
            ([str(HERE / "scale.py"), "--one-slot", str(spec_path), str(slot)], trial),
            ([str(HERE / "scale.py"), "--plain-one", url, study], plain),
            ([str(HERE / "scale.py"), "--start-up-only"], bare),
        ):
            wall, done = timed(
                lambda argv=argv: subprocess.run(
                    [sys.executable, *argv], env=env, cwd=receipts.parent, capture_output=True
                )
            )
            if done.returncode:
                raise RuntimeError(f"{argv[1:]} failed:\n{done.stderr.decode()}")
            times.append(wall * 1000)
    return trial, plain, bare


def one_slot(spec_path: str, slot: int) -> None:
    """What ``sweeps trial`` runs for one slot (with the instant dispatch mode)."""
    from sweeps.controller.progress import report_slot
    from sweeps.controller.slot import run_slot
    from sweeps.spec import load_spec

    install_instant_mode()
    spec = load_spec(spec_path)
    receipt = run_slot(spec, slot, Path(spec_path).parent / "receipts" / f"{slot}.json")
    report_slot(spec, receipt)


def start_up_only() -> None:
    """The imports ``sweeps trial`` does before it touches the study."""
    import sweeps.cli.trial
    import sweeps.controller.slot  # noqa: F401
    from sweeps.spec import load_spec  # noqa: F401


def cell(spec_path: Path, url: str, first_slot: int, k: int) -> dict[str, float]:
    """Every figure for one study, with the code this process imports; slots ``first_slot`` to
    ``first_slot + 2k`` are used."""
    from sweeps.storage.open import close_storage

    study = yaml.safe_load(spec_path.read_text())["study"]
    plain = plain_ms(url, study, k)
    close_storage()
    warm = warm_ms(spec_path, range(first_slot, first_slot + k + 1))
    close_storage()
    slots = range(first_slot + k + 1, first_slot + 2 * k + 1)
    pythonpath = str(Path(sys.modules["sweeps"].__file__ or "").resolve().parents[1])
    fresh, plain_fresh, bare = fresh_ms(spec_path, url, slots, pythonpath)
    med = statistics.median
    return {
        "plain": med(plain),
        "warm": med(warm),
        "fresh": med(fresh),
        "bare": med(bare),
        "fresh_net": med(fresh) - med(bare),
        "plain_fresh_net": med(plain_fresh) - med(bare),
    }


def measure(
    backend: str, sizes: list[int], k: int, tmp: Path, versions: dict[str, str], repeats: int = 1
) -> dict[str, dict[int, dict[str, float]]]:
    """Grow one study through ``sizes`` finished trials; at each size, measure it with each
    version of the code (name: its ``src``), one after the other, each in a process of its
    own, ``repeats`` times (the median of each figure). Measured slots come after every
    filled one."""
    from sweeps.spec import load_spec
    from sweeps.study import prepare_study

    rows: dict[str, dict[int, dict[str, float]]] = {name: {} for name in versions}
    per_cell = 2 * k + 1
    top = max(sizes)
    with backend_url(backend, tmp) as url:
        root = tmp / backend
        (root / "receipts").mkdir(parents=True)
        budget = top + len(sizes) * len(versions) * per_cell * repeats
        spec_path = write_spec(root, url, "scale", budget)
        prepare_study(load_spec(spec_path))
        filled, first = 0, top
        for size in sorted(sizes):
            fill_s, _ = timed(
                lambda size=size, filled=filled: fill(url, "scale", range(filled, size))
            )
            filled = size
            cells: dict[str, list[dict[str, float]]] = {name: [] for name in versions}
            for _ in range(repeats):  # interleaved, so drift of the machine hits every version
                for name, src in versions.items():
                    argv = [str(HERE / "scale.py"), "--cell", str(spec_path), url, str(first)]
                    env = {"PYTHONPATH": src, "PATH": "/usr/bin:/bin"}
                    done = subprocess.run(
                        [sys.executable, *argv, str(k)],
                        env=env,
                        cwd=root,
                        capture_output=True,
                        text=True,
                    )
                    if done.returncode:
                        raise RuntimeError(f"{name}: {done.stderr}")
                    row = {"fill_s": fill_s, **json.loads(done.stdout.splitlines()[-1])}
                    cells[name].append(row)
                    line = f"{name} {backend} {size}: {json.dumps(row)}"
                    print(line, file=sys.stderr, flush=True)
                    first += per_cell
            for name, runs in cells.items():
                rows[name][size] = median_row(runs)
    return rows


Results = dict[str, dict[str, dict[int, dict[str, float]]]]  # version, backend, size


def table(results: Results) -> Table:
    out = Table(
        [
            "code",
            "backend",
            "trials",
            "plain ms",
            "warm ms (x plain, x first)",
            "fresh ms net of start-up (x plain, x first)",
            "plain fresh ms net (fresh net / it)",
            "fresh ms",
            "start-up ms",
        ],
        align="llrrrrrrr",
    )
    for version, backends in results.items():
        for backend, rows in backends.items():
            first = rows[min(rows)]
            for size, row in sorted(rows.items()):
                cells = [f"{row['plain']:.0f}"]
                for col in ("warm", "fresh_net"):
                    cells.append(
                        f"{row[col]:.0f} ({row[col] / row['plain']:.2f}x, "
                        f"{row[col] / first[col]:.2f}x)"
                    )
                ratio = row["fresh_net"] / row["plain_fresh_net"]
                cells.append(f"{row['plain_fresh_net']:.0f} ({ratio:.2f}x)")
                cells += [f"{row[c]:.0f}" for c in ("fresh", "bare")]
                out.add(version, backend, f"{size:,}", *cells)
    return out


def main(argv: list[str] | None = None) -> int:
    bench = Benchmark(
        __doc__, __file__, repeat_help="measurements of each cell; medians", json_out=True
    )
    bench.add_argument("--quick", action="store_true", help="sizes 100,1000; 5 trials each")
    bench.add_argument("--sizes", default="100,2000,10000")
    bench.add_argument("--backends", default="sqlite,postgresql")
    bench.add_argument("--trials", type=int, default=15, help="measured trials per cell")
    bench.add_argument(
        "--baseline", type=Path, default=None, help="another checkout's src/, measured first"
    )
    bench.add_argument("--cell", nargs=4, metavar=("SPEC", "URL", "SLOT", "K"), help=SUPPRESS)
    bench.add_argument("--one-slot", nargs=2, metavar=("SPEC", "SLOT"), help=SUPPRESS)
    bench.add_argument("--plain-one", nargs=2, metavar=("URL", "STUDY"), help=SUPPRESS)
    bench.add_argument("--start-up-only", action="store_true", help=SUPPRESS)
    bench.add_argument(
        "--lanes",
        default=None,
        help="instead: concurrent lanes, e.g. 8,64,256, with and "
        "without the storage proxy (see _lanes.py)",
    )
    bench.add_argument("--lane-trials", type=int, default=512, help="trials per --lanes cell")
    bench.add_argument(
        "--lane-deadline-s", type=float, default=120, help="no --lanes trial starts after this"
    )
    args = bench.parse(argv)
    if args.start_up_only:
        start_up_only()
        return 0
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.one_slot:
        one_slot(args.one_slot[0], int(args.one_slot[1]))
        return 0
    if args.plain_one:
        plain_ms(args.plain_one[0], args.plain_one[1], 1)
        return 0
    if args.cell:
        spec, url, slot, k = args.cell
        print(json.dumps(cell(Path(spec), url, int(slot), int(k))))
        return 0
    if args.lanes:
        from _lanes import lanes_table, measure_lanes

        lanes = [int(n) for n in args.lanes.split(",")]
        trials = 256 if args.quick else args.lane_trials
        backends = args.backends.split(",")
        rows = measure_lanes(backends, lanes, trials, args.lane_deadline_s, args.repeat)
        bench.report(lanes_table(rows), figures=rows)
        return 0
    sizes = [100, 1000] if args.quick else [int(s) for s in args.sizes.split(",")]
    k = 5 if args.quick else args.trials
    import sweeps

    versions = {"this": str(Path(sweeps.__file__).resolve().parents[1])}
    if args.baseline:
        versions = {"baseline": str(args.baseline.resolve()), **versions}
    results: Results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            measured = measure(backend, sizes, k, Path(tmp), versions, args.repeat)
            for version, rows in measured.items():
                results.setdefault(version, {})[backend] = rows
    bench.report(table(results), figures=results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
