"""Ray Tune's side of ``benchmarks/peers.py``: N trials that each sleep, P at a time.

Runs in the peers' own virtualenv (Ray is no dependency of this project), so it imports
nothing of the project. Ray's defaults are kept except what the benchmark varies: a function
trainable that sleeps ``--trial-s`` and reports one metric, ``num_samples=N``,
``max_concurrent_trials=P``, ``reuse_actors`` on or left unset, ``ray.init(num_cpus=P)`` so
that P one-CPU trials fit (as ``snakemake --cores P``), and the experiment's folder under
``--work``. Each trial writes its own start and end (``--records``); the script prints one
JSON line, ``peer-times {...}``, with the wall-clock times of its phases.

    python benchmarks/_ray_peer.py --trials 16 --parallel 4 --trial-s 1 --reuse-actors \
        --work DIR --records DIR
"""

from __future__ import annotations

import time

STARTED = time.time()  # before Ray is imported

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


def trainable(config: dict[str, Any]) -> None:
    """Sleep for the trial's length, record when, report one metric."""
    from ray import tune

    start = time.time()
    time.sleep(config["trial_s"])
    end = time.time()
    record = Path(config["records"]) / f"{uuid.uuid4().hex}.json"
    record.write_text(json.dumps({"start": start, "end": end, "pid": os.getpid()}))
    tune.report({"score": config["x"]})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, required=True)
    parser.add_argument("--parallel", type=int, required=True)
    parser.add_argument("--trial-s", type=float, required=True)
    parser.add_argument("--reuse-actors", action="store_true", help="else left unset")
    parser.add_argument("--work", type=Path, required=True, help="Ray Tune's storage_path")
    parser.add_argument("--records", type=Path, required=True, help="one file per trial")
    args = parser.parse_args()

    import ray
    from ray import tune

    imported = time.time()
    ray.init(num_cpus=args.parallel)
    initialised = time.time()
    config = {
        "x": tune.uniform(0.0, 1.0),
        "trial_s": args.trial_s,
        "records": str(args.records.resolve()),
    }
    tune_config: dict[str, Any] = {
        "num_samples": args.trials,
        "max_concurrent_trials": args.parallel,
    }
    if args.reuse_actors:
        tune_config["reuse_actors"] = True
    tuner = tune.Tuner(
        trainable,
        param_space=config,
        tune_config=tune.TuneConfig(**tune_config),
        run_config=tune.RunConfig(storage_path=str(args.work.resolve()), name="peers"),
    )
    fit_start = time.time()
    results = tuner.fit()
    fit_end = time.time()
    completed = sum(1 for result in results if result.error is None and result.metrics)
    errors = results.num_errors
    ray.shutdown()
    shut = time.time()
    times = {
        "started": STARTED,
        "imported": imported,
        "initialised": initialised,
        "fit_start": fit_start,
        "fit_end": fit_end,
        "shut_down": shut,
        "completed": completed,
        "errors": errors,
        "ray": ray.__version__,
        "reuse_actors": args.reuse_actors,
    }
    print("peer-times " + json.dumps(times), flush=True)
    return 0 if completed == args.trials and not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
