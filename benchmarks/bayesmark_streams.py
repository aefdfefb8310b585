"""Whether a Bayesmark miss is noise: independent random-search streams, and pools of the
published pool's size drawn from them.

    python benchmarks/bayesmark_streams.py --problems DT_iris_nll [--streams 7]
        [--n-random 2001] [--pools 100,300,500,1000] [--jobs N] [--logs DIR] [--published DIR]

One stream is the sweep's own sampler under one seed (``0`` is the stream that
``bayesmark_compare.py`` tabulates), ``--n-random`` draws long; draws are logged and resumed
as there (``--logs``/PROBLEM.jsonl, one seed per line). Per stream: the median single loss,
F(clip) (the share of draws at or below the published clip) and the expected bests at 1, 5 and
10 evaluations (clipped at the published clip, as bayesmark's ``mean``). Then all streams
pooled, and for each pool size P, how often a pool of P draws from the pooled draws is at
least as far from the pooled figure as the published one, in the published direction (the
pool's own median as its clip, as bayesmark computes its baseline). A figure is consistent
with noise at P when that share is at least 2.5% (a two-sided 5% test).
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import optuna
from _harness import Benchmark
from _published_bayesmark import (
    BASELINE,
    CHECKPOINTS,
    Published,
    append_log,
    read_log,
    read_published,
    sample_losses,
)
from _published_material import default_published
from _published_stats import expected_best
from bayesmark_compare import select

NOISE_SHARE = 0.025  # one tail of a two-sided 5% test
POOLS_DRAWN = 4000


@dataclass
class StreamFigures:
    seed: int
    n: int
    median: float
    below_clip: float  # F(clip)
    expected: dict[int, float]


@dataclass
class PoolShares:
    size: int
    median: float  # share of pools whose median is as far as the published clip
    expected: dict[int, float] = field(default_factory=dict)

    @property
    def noise(self) -> bool:
        return min(self.median, *self.expected.values()) >= NOISE_SHARE


def stream(problem: str, seed: int, n: int, logs: Path) -> np.ndarray:
    """``n`` draws of the sweep's sampler under ``seed``, resumed from and logged to ``logs``."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    log = logs / f"{problem}.jsonl"
    done = read_log(log, seed)
    store = lambda i, p, loss: append_log(log, seed, i, p, loss)  # noqa: E731
    return np.asarray(sample_losses(problem, n, seed, done=done, store=store))


def figures(seed: int, losses: np.ndarray, published: Published) -> StreamFigures:
    return StreamFigures(
        seed,
        len(losses),
        float(np.median(losses)),
        float(np.mean(losses <= published.clip)),
        {n: expected_best(losses, n, published.clip) for n in CHECKPOINTS},
    )


def pool_shares(
    pooled: np.ndarray, published: Published, size: int, rng: np.random.Generator
) -> PoolShares:
    """How often a pool of ``size`` draws lies as far from the pooled figures as the
    published pool does, on the published side."""
    pools = pooled[rng.integers(0, len(pooled), size=(POOLS_DRAWN, size))]
    medians = np.median(pools, axis=1)
    shares = PoolShares(size, _share(medians, float(np.median(pooled)), published.clip))
    for n in CHECKPOINTS:
        own = np.array([expected_best(p, n, c) for p, c in zip(pools, medians, strict=True)])
        pooled_value = expected_best(pooled, n, float(np.median(pooled)))
        shares.expected[n] = _share(own, pooled_value, published.mean[n - 1])
    return shares


def _share(values: np.ndarray, centre: float, published: float) -> float:
    if published >= centre:
        return float(np.mean(values >= published))
    return float(np.mean(values <= published))


def problem_report(
    problem: str, published: Published, runs: list[StreamFigures], shares: list[PoolShares]
) -> str:
    means = ", ".join(f"{published.mean[n - 1]:.4f}" for n in CHECKPOINTS)
    said = (
        f"Published: clip {published.clip:.6f}; E[best@{'/'.join(map(str, CHECKPOINTS))}] {means}."
    )
    head = "| stream | draws | median | F(clip) | " + " | ".join(
        f"E[best@{n}]" for n in CHECKPOINTS
    )
    lines = [f"### {problem}", "", said, "", head + " |", "|" + " --- |" * (4 + len(CHECKPOINTS))]
    for run in runs:
        label = "pooled" if run.seed < 0 else f"seed {run.seed}"
        bests = " | ".join(f"{run.expected[n]:.4f}" for n in CHECKPOINTS)
        lines.append(f"| {label} | {run.n} | {run.median:.6f} | {run.below_clip:.3f} | {bests} |")
    lines += [
        "",
        "| pool size | median as far | "
        + " | ".join(f"E[best@{n}] as far" for n in CHECKPOINTS)
        + " | noise |",
        "|" + " --- |" * (3 + len(CHECKPOINTS)),
    ]
    for share in shares:
        each = " | ".join(f"{share.expected[n]:.1%}" for n in CHECKPOINTS)
        verdict = "yes" if share.noise else "no"
        lines.append(f"| {share.size} | {share.median:.1%} | {each} | {verdict} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    bench = Benchmark(__doc__, __file__, repeatable=False, json_out=True)
    bench.add_argument("--published", type=Path, default=default_published())
    bench.add_argument("--baseline", default=BASELINE, help="file in bbo-challenge-baselines/")
    bench.add_argument("--problems", nargs="+", required=True, help="globs over problem names")
    bench.add_argument("--streams", type=int, default=7)
    bench.add_argument("--n-random", type=int, default=2001)
    bench.add_argument("--pools", default="100,300,500,1000", help="pool sizes, comma-separated")
    bench.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    bench.add_argument("--logs", type=Path, default=Path("results/bayesmark-evaluations"))
    args: argparse.Namespace = bench.parse(argv)
    baseline = args.published / "bbo-challenge-baselines" / args.baseline
    sizes = [int(s) for s in args.pools.split(",")]
    reports, out = [], []
    for problem in select(args.problems):
        published = read_published(baseline, problem)
        with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [
                pool.submit(stream, problem, seed, args.n_random, args.logs)
                for seed in range(args.streams)
            ]
            draws = [f.result() for f in futures]
        runs = [figures(seed, d, published) for seed, d in enumerate(draws)]
        pooled = np.concatenate(draws)
        runs.append(figures(-1, pooled, published))
        rng = np.random.default_rng(0)
        shares = [pool_shares(pooled, published, size, rng) for size in sizes]
        reports.append(problem_report(problem, published, runs, shares))
        out.append(
            {
                "problem": problem,
                "clip": published.clip,
                "mean": {n: published.mean[n - 1] for n in CHECKPOINTS},
                "streams": [vars(r) for r in runs],
                "pools": [vars(s) | {"noise": s.noise} for s in shares],
            }
        )
    bench.report("\n\n".join(reports), figures=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
