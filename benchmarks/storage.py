"""Storage benchmark: our layer vs plain Optuna on the same backend, and 16-process throughput.

Run from the repository root (PostgreSQL and MariaDB on 127.0.0.1 as in CI):

    python benchmarks/storage.py [--trials 40] [--repeat 3] [--workers 16] [--per-worker 8]

1. Per-trial time, one process: ask, suggest 3 parameters, report 5 intermediate values, tell,
   with RandomSampler (so the storage dominates), plain Optuna storage vs ``open_storage``,
   interleaved, median of ``--repeat`` rounds; the ratio is ours / plain (target <= 1.2).
2. Throughput: ``--workers`` processes each run ``--per-worker`` such trials on one study at once;
   trials per second of wall time, plain and ours.

Each run creates fresh databases on the servers and drops them at the end.
"""

from __future__ import annotations

import multiprocessing
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import optuna
from _harness import Benchmark, Table, timer
from optuna.storages import BaseStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend, JournalStorage

from sweeps.storage import open_storage
from sweeps.storage.open import close_storage

BACKENDS = ("sqlite", "postgresql", "mariadb", "journal")
STEPS = 5


def run_trials(storage: BaseStorage, study_name: str, n: int) -> None:
    study = optuna.load_study(
        study_name=study_name, storage=storage, sampler=optuna.samplers.RandomSampler()
    )
    for _ in range(n):
        trial = study.ask()
        x = trial.suggest_float("x", -5, 5)
        y = trial.suggest_int("y", 1, 64, log=True)
        z = trial.suggest_categorical("z", ["a", "b", "c"])
        for step in range(STEPS):
            trial.report(x * step + y, step)
        study.tell(trial, x * x + y + (z == "a"))


def plain_storage(url: str) -> BaseStorage:
    """Optuna's own storage for ``url``, as a user would open it."""
    if url.startswith("journal:"):
        return JournalStorage(JournalFileBackend(url.removeprefix("journal:///")))
    return RDBStorage(url)


def ours(url: str) -> BaseStorage:
    close_storage()
    return open_storage(url)


def per_trial_ms(make: Callable[[str], BaseStorage], url: str, n: int) -> tuple[float, float]:
    """Wall and CPU (this process) milliseconds per trial."""
    storage = make(url)
    name = f"b-{secrets.token_hex(4)}"
    optuna.create_study(study_name=name, storage=storage)
    cpu = time.process_time()
    with timer() as clock:
        run_trials(storage, name, n)
    return clock.seconds / n * 1000, (time.process_time() - cpu) / n * 1000


def _worker(kind: str, url: str, name: str, n: int, go: object) -> None:
    storage = ours(url) if kind == "ours" else plain_storage(url)
    go.wait()  # type: ignore[attr-defined]
    run_trials(storage, name, n)


def throughput(kind: str, url: str, workers: int, per_worker: int) -> float:
    name = f"t-{secrets.token_hex(4)}"
    optuna.create_study(study_name=name, storage=plain_storage(url))
    ctx = multiprocessing.get_context("fork")
    go = ctx.Event()
    procs = [
        ctx.Process(target=_worker, args=(kind, url, name, per_worker, go)) for _ in range(workers)
    ]
    for proc in procs:
        proc.start()
    time.sleep(2.0)  # let every process import and connect before the clock starts
    with timer() as clock:
        go.set()
        for proc in procs:
            proc.join()
    elapsed = clock.seconds
    if any(p.exitcode for p in procs):
        raise RuntimeError(f"{kind} workers failed: {[p.exitcode for p in procs]}")
    done = len(optuna.load_study(study_name=name, storage=plain_storage(url)).trials)
    if done != workers * per_worker:
        raise RuntimeError(f"{kind}: {done} trials recorded, {workers * per_worker} run")
    return done / elapsed


@contextmanager
def backend_url(name: str, tmp: Path) -> Iterator[str]:
    """A fresh, empty storage on ``name``; dropped afterwards."""
    db = f"sweeps_bench_{secrets.token_hex(4)}"
    if name == "sqlite":
        yield f"sqlite:///{tmp}/{db}.db"
    elif name == "journal":
        yield f"journal:///{tmp}/{db}.log"
    elif name == "postgresql":
        import psycopg

        admin = {"host": "127.0.0.1", "user": "postgres", "dbname": "test", "autocommit": True}
        with psycopg.connect(**admin) as conn:  # type: ignore[arg-type]
            conn.execute(f"CREATE DATABASE {db}")  # type: ignore[arg-type]
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}"
        finally:
            with psycopg.connect(**admin) as conn:  # type: ignore[arg-type]
                conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")  # type: ignore[arg-type]
    else:
        import pymysql

        def admin(sql: str) -> None:
            conn = pymysql.connect(host="127.0.0.1", user="root", autocommit=True)
            try:
                conn.cursor().execute(sql)
            finally:
                conn.close()

        admin(f"CREATE DATABASE {db}")
        try:
            yield f"mysql+pymysql://root@127.0.0.1:3306/{db}"
        finally:
            admin(f"DROP DATABASE IF EXISTS {db}")


def main(argv: list[str] | None = None) -> int:
    bench = Benchmark(
        __doc__,
        __file__,
        repeat=7,
        repeat_aliases=("--repeats",),
        repeat_help="interleaved rounds of the per-trial overhead (plain, ours); medians",
        json_out=True,
    )
    bench.add_argument("--backends", default=",".join(BACKENDS))
    bench.add_argument("--trials", type=int, default=20, help="trials per overhead round")
    bench.add_argument("--workers", type=int, default=16, help="processes for the throughput")
    bench.add_argument("--per-worker", type=int, default=8, help="trials per process")
    args = bench.parse(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    results: dict[str, dict[str, float]] = {}
    table = Table(
        [
            "backend",
            "plain wall ms/trial",
            "ours wall ms/trial",
            "ratio",
            "plain min",
            "ours min",
            "plain CPU ms/trial",
            "ours CPU ms/trial",
            "CPU ratio",
            f"plain trials/s, {args.workers} procs",
            f"ours trials/s, {args.workers} procs",
        ],
        align="l" + "r" * 10,
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.backends.split(","):
            with backend_url(name, Path(tmp)) as url:
                plain, mine = [], []
                per_trial_ms(ours, url, 5)  # warm up: schema, imports, caches
                for _ in range(args.repeat):  # interleaved, so drift hits both alike
                    plain.append(per_trial_ms(plain_storage, url, args.trials))
                    mine.append(per_trial_ms(ours, url, args.trials))
                p, o = (statistics.median(w for w, _ in runs) for runs in (plain, mine))
                pc, oc = (statistics.median(c for _, c in runs) for runs in (plain, mine))
                tps: dict[str, list[float]] = {"plain": [], "ours": []}
                for _ in range(2):
                    for kind in tps:
                        tps[kind].append(throughput(kind, url, args.workers, args.per_worker))
                tp, to = statistics.mean(tps["plain"]), statistics.mean(tps["ours"])
                p_min, o_min = (min(w for w, _ in runs) for runs in (plain, mine))
                results[name] = {
                    "plain_ms_per_trial": p,
                    "ours_ms_per_trial": o,
                    "ratio": o / p,
                    "plain_cpu_ms_per_trial": pc,
                    "ours_cpu_ms_per_trial": oc,
                    "cpu_ratio": oc / pc,
                    "plain_trials_per_s": tp,
                    "ours_trials_per_s": to,
                    "plain_min_ms_per_trial": p_min,
                    "ours_min_ms_per_trial": o_min,
                }
                row = table.add(
                    name,
                    *(f"{x:.1f}" for x in (p, o)),
                    f"{o / p:.2f}",
                    *(f"{x:.1f}" for x in (p_min, o_min, pc, oc)),
                    f"{oc / pc:.2f}",
                    *(f"{x:.1f}" for x in (tp, to)),
                )
                print(row, flush=True)
    bench.report(table, figures=results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
