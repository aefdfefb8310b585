"""The skorch Basic_Usage grid over seeds vs the published GridSearchCV result.

    python benchmarks/skorch_compare.py [--seeds 8] [--out PATH]

Prints the best score per seed (band check), the winners, and each configuration's mean rank;
checks that the best lies in the published band, that dropout=0 wins most seeds, and that the
published winner ranks in the top quarter on average.
"""

from __future__ import annotations

import sys
from collections import Counter

import numpy as np
from _harness import Benchmark, Table
from _published_skorch import (
    BAND,
    PUBLISHED_BEST,
    PUBLISHED_WINNER,
    grid_names,
    mean_ranks,
    run_grid,
)


def main(argv: list[str] | None = None) -> int:
    bench = Benchmark(__doc__, __file__, repeatable=False)
    bench.add_argument("--seeds", type=int, default=8, help="seeds of the grid (the repeats)")
    args = bench.parse(argv)
    runs = [run_grid(seed) for seed in range(args.seeds)]
    bests = [r.best for r in runs]
    notes = [f"published best {PUBLISHED_BEST:.4f} with {PUBLISHED_WINNER}"]
    spread = f"({min(bests):.4f}..{max(bests):.4f})"
    notes.append(f"ours: best {np.mean(bests):.4f} +- {np.std(bests):.4f} {spread}")
    winners = Counter(tuple(sorted(r.winner.items())) for r in runs)
    published_wins = sum(r.winner == PUBLISHED_WINNER for r in runs)
    dropout0 = sum(r.winner["dropout"] == 0.0 for r in runs)
    notes.append(f"published config won {published_wins} of {len(runs)}; dropout=0 won {dropout0}")
    table = Table(["config", "mean rank"], align="lr")
    ranks = mean_ranks(runs)
    names = grid_names()
    for key, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
        table.add(str(dict(zip(names, key, strict=True))), f"{rank:.1f}")
    winners_line = f"winners: {dict(winners)}"
    bench.report("\n\n".join(notes), table, winners_line, figures={"bests": bests})
    published_rank = ranks[tuple(PUBLISHED_WINNER[n] for n in names)]
    ok = BAND[0] <= np.mean(bests) <= BAND[1] and dropout0 > len(runs) / 2 and published_rank <= 4
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
