"""The budget check at a trial's start: the old full read of the study against the running totals.

A study is filled with finished, billed trials (100, 1,000 and 10,000 by default); each round
opens the storage afresh, as a new slot controller does, and times one check each way,
interleaved: ``spent_budget`` over every trial (the old check) and ``spent_from_totals`` (the
new one, one read of the study's attributes). Figures are medians; the ratio is old over new,
in the same run. SQLite always; PostgreSQL where ``benchmarks/storage.py`` reaches it.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import optuna
from _harness import Benchmark, Table, timer
from optuna.distributions import FloatDistribution
from optuna.storages import RDBStorage
from optuna.trial import TrialState, create_trial
from storage import backend_url

from sweeps.spec.facts import BILLED_GPU_HOURS, ENERGY_WH
from sweeps.spec.load import spec_from_dict
from sweeps.storage.optuna_internals import cached
from sweeps.study.keys import Key
from sweeps.study.spending import Spending, spent_budget, spent_from_totals, totals


def fill(url: str, name: str, upto: int) -> None:
    """Bring the study to ``upto`` finished trials, each billed and measured, with the
    running totals the controllers would have recorded."""
    storage = RDBStorage(url)
    study = optuna.create_study(study_name=name, storage=storage, load_if_exists=True)
    trials = [
        create_trial(
            state=TrialState.COMPLETE,
            value=float(i),
            params={"x": 0.5},
            distributions={"x": FloatDistribution(-5, 5)},
            user_attrs={BILLED_GPU_HOURS.key: 0.01, ENERGY_WH.key: 1.5},
        )
        for i in range(upto - len(study.trials))
    ]
    study.add_trials(trials)
    done = study.get_trials(deepcopy=False)
    spent = totals(done)  # what the tells added, as one write
    study.set_user_attr(Key.SPENT_TOTALS, json.dumps(replace(spent, first_start=None).as_dict()))
    study.set_user_attr(
        Key.FIRST_START, min(t.datetime_start or datetime.now(UTC) for t in done).isoformat()
    )
    storage.engine.dispose()


def one_round(url: str, name: str, spec: object) -> tuple[float, float]:
    """Milliseconds of the old check and of the new one, each on a freshly opened storage."""
    times = []
    for new in (False, True):
        rdb = RDBStorage(url)
        storage = cached(rdb)
        study_id = storage.get_study_id_from_name(name)  # connected: only the check is timed
        with timer() as watch:
            if new:
                state = spent_from_totals(spec, Spending(storage, study_id, name, url))  # type: ignore[arg-type]
            else:
                trials = storage.get_all_trials(study_id, deepcopy=False)
                state = spent_budget(spec, trials)  # type: ignore[arg-type]
        assert state is None
        times.append(watch.seconds * 1000)
        rdb.engine.dispose()
    return times[0], times[1]


def main(argv: list[str] | None = None) -> int:
    bench = Benchmark(__doc__, __file__, repeat=5, repeat_help="interleaved rounds; medians")
    bench.add_argument("--backends", default="sqlite,postgresql")
    bench.add_argument("--sizes", default="100,1000,10000", help="finished trials")
    args = bench.parse(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    table = Table(
        ["backend", "finished trials", "full read ms", "totals ms", "ratio (full / totals)"],
        align="lrrrr",
    )
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            try:
                context = backend_url(backend, Path(tmp))
                url = context.__enter__()
            except Exception as err:  # not reachable here: say so and go on
                table.add(backend, "-", "-", "-", f"not reachable: {type(err).__name__}")
                continue
            try:
                spec = spec_from_dict(
                    {
                        "study": "b",
                        "objective": "m:f",
                        "direction": "minimize",
                        "storage": url,
                        "space": {"x": {"type": "float", "low": -5.0, "high": 5.0}},
                        "budget": {"n_trials": 20_000, "max_gpu_hours": 1e9, "deadline": "30d"},
                    }
                )
                for size in (int(s) for s in args.sizes.split(",")):
                    fill(url, "b", size)
                    one_round(url, "b", spec)  # warm up
                    rounds = [one_round(url, "b", spec) for _ in range(args.repeat)]
                    full = statistics.median(r[0] for r in rounds)
                    new = statistics.median(r[1] for r in rounds)
                    table.add(
                        backend, f"{size:,}", f"{full:.1f}", f"{new:.2f}", f"{full / new:.0f}"
                    )
            finally:
                context.__exit__(None, None, None)
    bench.report(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
