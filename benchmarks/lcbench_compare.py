"""Sampler and pruner checks on the YAHPO LCBench surrogate (seconds).

    python benchmarks/lcbench_compare.py [--model-dir DIR] [--n-random 20000] [--seeds 10]
        [--out PATH]

(1) random search's expected best of 10/50/100 from the sweep's space vs the published
reference; (2) TPE vs random search, mean best after 50 trials over seeds; (3) TPE with the
sweep's successive-halving pruner: epochs spent and best found, relative to no pruning.
"""

from __future__ import annotations

import sys

import numpy as np
import optuna
from _harness import Benchmark, Table
from _published_lcbench import (
    REFERENCE,
    expected_best_accuracy,
    load_sweep,
    random_final_accuracies,
    run,
)

optuna.logging.set_verbosity(optuna.logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    bench = Benchmark(__doc__, __file__, repeatable=False)
    bench.add_argument("--model-dir", default=None)
    bench.add_argument("--instance", default="167168", choices=sorted(REFERENCE))
    bench.add_argument("--n-random", type=int, default=20000)
    bench.add_argument("--seeds", type=int, default=10, help="seeds per arm (the repeats)")
    bench.add_argument("--n-trials", type=int, default=50)
    args = bench.parse(argv)
    spec = load_sweep()
    ref = REFERENCE[args.instance]
    finals = random_final_accuracies(spec, args.instance, args.n_random, 0, args.model_dir)
    reference = Table(["statistic", f"ours ({args.n_random} random configs)", "published"])
    reference.add("max", f"{finals.max():.2f}", f"{ref['max']:.2f}")
    for n in (10, 50, 100):
        reference.add(
            f"E[best of {n}]", f"{expected_best_accuracy(finals, n):.2f}", f"{ref[n]:.2f}"
        )
    rows = {}
    for label, sampler, prune in (
        ("random", "RandomSampler", False),
        ("TPE", "TPESampler", False),
        ("TPE + SHA", "TPESampler", True),
    ):
        runs = [
            run(spec, args.instance, sampler, args.n_trials, s, prune, args.model_dir)
            for s in range(args.seeds)
        ]
        rows[label] = runs
    arms = Table(
        [f"{args.n_trials} trials x {args.seeds} seeds", "mean best", "epochs spent", "pruned"]
    )
    figures = {}
    for label, runs in rows.items():
        best = np.mean([r.best for r in runs])
        epochs = np.mean([r.epochs for r in runs])
        pruned = np.mean([r.pruned for r in runs])
        arms.add(label, f"{best:.2f}", f"{epochs:.0f}", f"{pruned:.1f}")
        figures[label] = {"mean_best": best, "mean_epochs": epochs, "mean_pruned": pruned}
    bench.report(reference, arms, figures=figures)
    tpe_wins = np.mean([r.best for r in rows["TPE"]]) > np.mean([r.best for r in rows["random"]])
    return 0 if tpe_wins else 1


if __name__ == "__main__":
    sys.exit(main())
