"""Compare the shipped Bayesmark sweeps with the NeurIPS 2020 BBO challenge baselines.

    python benchmarks/bayesmark_compare.py [--published DIR] [--baseline FILE] [--n-random 501]
        [--tpe-seeds 10]

Reads ``bbo-challenge-baselines/baseline-100-1.json`` (or ``--baseline``) from the
published-material directory (default: the nearest ``shared/published`` beside the repository),
prints a Markdown table and writes ``results/bayesmark-compare.json``. Exit status 1 if a
required check fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import optuna

from sweeps.published.bayesmark import (
    BASELINE,
    PROBLEMS,
    as_json,
    compare_problem,
    markdown_table,
    passed,
    read_published,
)

REPO = Path(__file__).resolve().parents[1]
optuna.logging.set_verbosity(optuna.logging.WARNING)


def default_published() -> Path:
    for parent in REPO.parents:
        if (parent / "shared" / "published").is_dir():
            return parent / "shared" / "published"
    return REPO.parent / "shared" / "published"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--published", type=Path, default=default_published())
    parser.add_argument("--baseline", default=BASELINE, help="file in bbo-challenge-baselines/")
    parser.add_argument("--n-random", type=int, default=501)  # odd: a median that is a draw
    parser.add_argument("--tpe-seeds", type=int, default=10)
    parser.add_argument("--problems", nargs="*", default=list(PROBLEMS))
    parser.add_argument("--out", type=Path, default=Path("results/bayesmark-compare.json"))
    args = parser.parse_args()
    baseline = args.published / "bbo-challenge-baselines" / args.baseline
    results = []
    for problem in args.problems:
        started = time.time()
        result = compare_problem(
            problem, read_published(baseline, problem), args.n_random, args.tpe_seeds
        )
        results.append(result)
        print(f"{problem}: {time.time() - started:.0f} s, passed={passed(result)}", file=sys.stderr)
    print(markdown_table(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps([as_json(r) for r in results], indent=2) + "\n")
    return 0 if all(passed(r) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
