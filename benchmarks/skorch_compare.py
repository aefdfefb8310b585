"""The skorch Basic_Usage grid over seeds vs the published GridSearchCV result.

    python benchmarks/skorch_compare.py [--seeds 8]

Prints the best score per seed (band check), the winners, and each configuration's mean rank;
checks that the best lies in the published band, that dropout=0 wins most seeds, and that the
published winner ranks in the top quarter on average.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

import numpy as np

from sweeps.published.skorch import (
    BAND,
    PUBLISHED_BEST,
    PUBLISHED_WINNER,
    grid_names,
    mean_ranks,
    run_grid,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    args = parser.parse_args()
    runs = [run_grid(seed) for seed in range(args.seeds)]
    bests = [r.best for r in runs]
    print(f"published best {PUBLISHED_BEST:.4f} with {PUBLISHED_WINNER}")
    spread = f"({min(bests):.4f}..{max(bests):.4f})"
    print(f"ours: best {np.mean(bests):.4f} +- {np.std(bests):.4f} {spread}")
    winners = Counter(tuple(sorted(r.winner.items())) for r in runs)
    published_wins = sum(r.winner == PUBLISHED_WINNER for r in runs)
    dropout0 = sum(r.winner["dropout"] == 0.0 for r in runs)
    print(f"published config won {published_wins} of {len(runs)}; dropout=0 won {dropout0}")
    print("\n| config | mean rank |\n| --- | --- |")
    ranks = mean_ranks(runs)
    names = grid_names()
    for key, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
        print(f"| {dict(zip(names, key, strict=True))} | {rank:.1f} |")
    print("\nwinners:", dict(winners))
    published_rank = ranks[tuple(PUBLISHED_WINNER[n] for n in names)]
    ok = BAND[0] <= np.mean(bests) <= BAND[1] and dropout0 > len(runs) / 2 and published_rank <= 4
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
