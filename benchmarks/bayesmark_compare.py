"""Compare the shipped Bayesmark sweeps with the NeurIPS 2020 BBO challenge baselines.

    python benchmarks/bayesmark_compare.py [--problems GLOB ...] [--jobs N] [--n-random 201]
        [--tpe-seeds 0] [--published DIR] [--baseline FILE] [--logs DIR] [--report]

Runs ``--n-random`` seeded random draws of each problem matching ``--problems`` (globs over
the 108 names, e.g. ``'kNN_*' '*_iris_*'``; default all), ``--jobs`` problems at a time.
Every evaluation is appended to ``--logs``/PROBLEM.jsonl as it finishes, so a stopped run
resumes where it stopped. Reads ``bbo-challenge-baselines/baseline-100-1.json`` (or
``--baseline``) from the published-material directory (default: the nearest
``shared/published`` beside the repository), prints a Markdown table and writes the figures
to ``--json`` (default ``results/bayesmark-compare.json``; ``--out FILE.json``, the flag's
former name, still names it). ``--report`` evaluates nothing: it tabulates every problem
whose log holds ``--n-random`` draws and lists the others as not run yet. Exit status 1 if a
required check fails.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import optuna
from _harness import Benchmark, Stopwatch
from _published_bayesmark import (
    BASELINE,
    PROBLEMS,
    ProblemResult,
    as_json,
    compare_problem,
    markdown_table,
    passed,
    read_log,
    read_published,
)
from _published_material import default_published

from sweeps.objectives.bayesmark import unavailable

REPO = Path(__file__).resolve().parents[1]
optuna.logging.set_verbosity(optuna.logging.WARNING)


def select(patterns: list[str]) -> list[str]:
    """The problems matching any glob, in table order; an unmatched glob is an error."""
    for pattern in patterns:
        if not fnmatch.filter(PROBLEMS, pattern):
            raise SystemExit(f"--problems {pattern!r} matches none of the {len(PROBLEMS)} problems")
    return [p for p in PROBLEMS if any(fnmatch.fnmatchcase(p, pat) for pat in patterns)]


def run_one(problem: str, args: argparse.Namespace, baseline: Path) -> ProblemResult:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    clock = Stopwatch()
    result = compare_problem(
        problem,
        read_published(baseline, problem),
        args.n_random,
        args.tpe_seeds,
        log=args.logs / f"{problem}.jsonl",
    )
    print(f"{problem}: {clock.seconds:.0f} s, passed={passed(result)}", file=sys.stderr)
    return result


def report(chosen: list[str], results: list[ProblemResult], refused: dict[str, str]) -> str:
    """Every chosen problem in table order: its results, or why it has none and how to run it."""
    header, rule, *lines = markdown_table(results).splitlines()
    rows = dict(zip([r.problem for r in results], lines, strict=True))
    width = rule.count("|") - 1
    out = [header, rule]
    for problem in chosen:
        if problem in rows:
            out.append(rows[problem])
            continue
        why = "refused: " + refused[problem] if problem in refused else "not run yet"
        command = f"`python benchmarks/bayesmark_compare.py --problems {problem}`"
        out.append(f"| {problem} | {why}; {command} |" + " |" * (width - 2))
    reproduced = sum(passed(r) for r in results)
    out.append("")
    out.append(
        f"Reproduce: {reproduced} of {len(results)} run ({len(chosen)} problems; "
        f"{len(chosen) - len(results) - len(refused)} not run yet, {len(refused)} refused)."
    )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    bench = Benchmark(
        __doc__,
        __file__,
        repeatable=False,
        json_out=True,
        json_default=Path("results/bayesmark-compare.json"),
    )
    bench.add_argument("--published", type=Path, default=default_published())
    bench.add_argument("--baseline", default=BASELINE, help="file in bbo-challenge-baselines/")
    bench.add_argument("--n-random", type=int, default=201)  # odd: a median that is a draw
    bench.add_argument("--tpe-seeds", type=int, default=0)
    bench.add_argument("--problems", nargs="*", default=["*"], help="globs over problem names")
    bench.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    bench.add_argument("--logs", type=Path, default=Path("results/bayesmark-evaluations"))
    bench.add_argument("--report", action="store_true", help="tabulate finished logs only")
    args = bench.parse(argv)
    if args.out is not None and args.out.suffix == ".json":  # the figures file's former flag
        args.json, args.out = args.out, None
    baseline = args.published / "bbo-challenge-baselines" / args.baseline
    chosen = select(args.problems)
    refused = {p: unavailable(p.split("_")[1]) for p in chosen if unavailable(p.split("_")[1])}
    for problem, why in refused.items():
        print(f"{problem}: not run: {why}", file=sys.stderr)
    runnable = [p for p in chosen if p not in refused]
    if args.report:
        runnable = [
            p for p in runnable if len(read_log(args.logs / f"{p}.jsonl", 0)) >= args.n_random
        ]
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_one, p, args, baseline) for p in runnable]
        results = [f.result() for f in futures]
    table = report(chosen, results, refused) if args.report else markdown_table(results)
    bench.report(table, figures=[as_json(r) for r in results])
    return 0 if all(passed(r) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
