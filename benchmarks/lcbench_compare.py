"""The shipped LCBench sweeps on the YAHPO surrogate: published figures checked, samplers and
pruner compared (minutes).

    python benchmarks/lcbench_compare.py [--instances GLOB ...] [--model-dir DIR]
        [--n-random 20000] [--curves 1000] [--seed 1] [--arms GLOB ...] [--seeds 10]
        [--n-trials 50] [--out PATH]

(1) For each instance matching ``--instances`` (globs over the 34; default all), the figures
of its sweep file checked on ``--n-random`` configurations of its space drawn by
RandomSampler(``--seed``): the surrogate's val_accuracy at epoch 52 (and at every earlier
epoch for the first ``--curves``) within the data's [min, max] (the target statistics), up to
the stated tolerance; the random-search max and E[best of 10/50/100] recomputed, each E[best]
within 4 standard errors of the shipped figure. The default seed is not the pool's (0) the
computed figures are of, so the recomputation is independent of them. (2) For each instance
matching ``--arms`` (default 167168): TPE vs random search, mean best after ``--n-trials``
over ``--seeds``, and TPE with the sweep's successive-halving pruner: epochs spent and best
found, relative to no pruning. Exit status 1 if a check fails or TPE does not beat random.
"""

from __future__ import annotations

import fnmatch
import sys

import numpy as np
import optuna
from _harness import Benchmark, Table
from _published_lcbench import (
    BEST_OF,
    DATA_MAX,
    DATA_MIN,
    OUTSIDE_SHARE,
    POOL,
    POOL_MAX,
    POOL_SEED,
    RANGE_TOLERANCE,
    REFERENCE,
    InstanceCheck,
    Z,
    best_of_name,
    check_figures,
    configurations_of,
    load_sweep,
    run,
)

from sweeps.objectives.lcbench import DEFAULT_INSTANCE, INSTANCES

optuna.logging.set_verbosity(optuna.logging.WARNING)


def select(patterns: list[str], flag: str = "--instances") -> list[str]:
    """The instances matching any glob, in table order; an unmatched glob is an error."""
    for pattern in patterns:
        if not fnmatch.filter(INSTANCES, pattern):
            raise SystemExit(f"{flag} {pattern!r} matches none of the {len(INSTANCES)} instances")
    return [i for i in INSTANCES if any(fnmatch.fnmatchcase(i, p) for p in patterns)]


def figures_table(checks: list[InstanceCheck]) -> Table:
    """One row per instance: the data range, the surrogate's, the random-search reference
    recomputed (the shipped figure in brackets) and the verdict."""
    columns = ["instance", "data min", "data max", "surrogate lowest..highest", POOL_MAX]
    columns += [best_of_name(n) for n in BEST_OF] + ["reference", "verdict"]
    table = Table(columns)
    for check in checks:
        figures, ours = check.shipped, check.ours
        table.add(
            check.instance,
            f"{figures[DATA_MIN]:.2f}",
            f"{figures[DATA_MAX]:.2f}",
            f"{check.range.lowest:.2f}..{check.range.highest:.2f}",
            f"{ours[POOL_MAX]:.2f} ({figures[POOL_MAX]:.2f})",
            *(f"{ours[n]:.2f} ({figures[best_of_name(n)]:.2f})" for n in BEST_OF),
            "published" if check.instance in REFERENCE else f"pool seed {POOL_SEED}",
            check.verdict(),
        )
    return table


def arms_table(
    instance: str, n_trials: int, seeds: int, model_dir: str | None
) -> tuple[Table, dict[str, dict[str, float]], bool]:
    """Random search, TPE and TPE with the sweep's pruner on one instance."""
    spec = load_sweep(instance)
    rows = {}
    for label, sampler, prune in (
        ("random", "RandomSampler", False),
        ("TPE", "TPESampler", False),
        ("TPE + SHA", "TPESampler", True),
    ):
        rows[label] = [
            run(spec, instance, sampler, n_trials, s, prune, model_dir) for s in range(seeds)
        ]
    table = Table(
        [f"{instance}: {n_trials} trials x {seeds} seeds", "mean best", "epochs spent", "pruned"]
    )
    figures: dict[str, dict[str, float]] = {}
    for label, runs in rows.items():
        best = float(np.mean([r.best for r in runs]))
        epochs = float(np.mean([r.epochs for r in runs]))
        pruned = float(np.mean([r.pruned for r in runs]))
        table.add(label, f"{best:.2f}", f"{epochs:.0f}", f"{pruned:.1f}")
        figures[label] = {"mean_best": best, "mean_epochs": epochs, "mean_pruned": pruned}
    tpe_wins = figures["TPE"]["mean_best"] > figures["random"]["mean_best"]
    return table, figures, tpe_wins


def main(argv: list[str] | None = None) -> int:
    bench = Benchmark(__doc__, __file__, repeatable=False)
    bench.add_argument("--model-dir", default=None)
    bench.add_argument("--instances", nargs="*", default=["*"], help="globs over the instances")
    bench.add_argument("--n-random", type=int, default=POOL)
    bench.add_argument("--curves", type=int, default=1000, help="configs checked at every epoch")
    bench.add_argument("--seed", type=int, default=1, help="RandomSampler seed of the draws")
    bench.add_argument(
        "--arms", nargs="*", default=[DEFAULT_INSTANCE], help="instances to run TPE on"
    )
    bench.add_argument("--seeds", type=int, default=10, help="seeds per arm (the repeats)")
    bench.add_argument("--n-trials", type=int, default=50)
    args = bench.parse(argv)
    chosen = select(args.instances)
    specs = [load_sweep(instance) for instance in chosen]
    drawn = configurations_of(specs, args.n_random, args.seed)
    rng = np.random.default_rng(args.seed)
    checks = []
    for spec, configs in zip(specs, drawn, strict=True):
        checks.append(check_figures(spec, configs, args.curves, rng, args.model_dir))
        print(f"{checks[-1].instance}: {checks[-1].verdict()}", file=sys.stderr)
    passed = sum(c.passed for c in checks)
    summary = (
        f"Checked: {passed} of {len(checks)} instances pass ({args.n_random} configurations "
        f"at epoch 52, the first {min(args.curves, args.n_random)} also at epochs 1..51; at "
        f"most {OUTSIDE_SHARE:.1%} of the values outside the data's range, none by more than "
        f"{RANGE_TOLERANCE:g} points; E[best of n] within {Z:g} standard errors)."
    )
    parts: list[Table | str] = [figures_table(checks), summary]
    figures: dict[str, object] = {
        c.instance: {"passed": c.passed, "ours": {str(k): v for k, v in c.ours.items()}}
        for c in checks
    }
    tpe_wins = True
    for instance in select(args.arms, "--arms") if args.seeds else []:
        table, arms, wins = arms_table(instance, args.n_trials, args.seeds, args.model_dir)
        parts.append(table)
        figures[f"arms {instance}"] = arms
        tpe_wins = tpe_wins and wins
    bench.report(*parts, figures=figures)
    return 0 if passed == len(checks) and tpe_wins else 1


if __name__ == "__main__":
    sys.exit(main())
