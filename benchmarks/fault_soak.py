"""Fault soak on the Slurm test cluster: sweeps on PostgreSQL under faults at seeded random
times, re-run as a user would until the budget is done (`bash tests/slurm/cluster.sh up`).

Per dispatch mode (job, warm) one sweep of ``--trials`` checkpointed trials of ``--seconds``
one-second steps, two at a time, with ``--per-kind`` faults of each kind in a seeded random
order, ``--gap`` seconds apart (drawn): a trial's process killed (SIGKILL; in warm mode its
lane, or the worker process), its job cancelled (`scancel`), its node taken down (back after
5 s), the `snakemake` process group killed (SIGKILL) or interrupted (SIGINT), PostgreSQL
restarted. After each stopped run: `snakemake --unlock`, then `snakemake --rerun-incomplete`.
Reported per kind: faults injected, trials they hit (RUNNING in what they hit), and the slots
lost (no COMPLETE trial), duplicated (more than one final trial), left RUNNING, and budget eaten
(a final FAIL), each charged to the fault that hit the trial. The soak's logic is
``tests/support/soak.py`` (the short soak, `tests/slurm/test_slurm_fault_soak.py`, runs it too).

Usage: python benchmarks/fault_soak.py [--trials 16] [--per-kind 2] [--modes job,warm]
       [--seconds 8] [--seed 1] [--out PATH]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from _harness import Benchmark, Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the soak's logic, shared with its test

from support.soak import COUNTS, JOB_KINDS, WARM_KINDS, run_soak  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    bench = Benchmark(__doc__, __file__, repeatable=False, json_out=True)
    bench.add_argument("--trials", type=int, default=16)
    bench.add_argument("--per-kind", type=int, default=2, help="faults of each kind")
    bench.add_argument("--modes", default="job,warm")
    bench.add_argument("--seconds", type=int, default=8, help="one-second steps per trial")
    bench.add_argument("--gap", type=float, nargs=2, default=(4.0, 9.0), metavar=("MIN", "MAX"))
    bench.add_argument("--seed", type=int, default=1)
    args = bench.parse(argv)
    table = Table(["mode", "fault", "injected", "trials hit", *COUNTS])
    runs = Table(["mode", "trials", "faults", "snakemake runs", "wall s", "Optuna trials"])
    figures = []
    for mode in args.modes.split(","):
        kinds = JOB_KINDS if mode == "job" else WARM_KINDS
        with tempfile.TemporaryDirectory(prefix=f"soak-{mode}-") as tmp:
            result = run_soak(
                Path(tmp),
                mode,
                args.trials,
                kinds,
                per_kind=args.per_kind,
                seed=args.seed,
                trial_s=args.seconds,
                gap_s=tuple(args.gap),
                timeout_s=1200,
            )
        rows = result.by_kind()
        for kind, row in rows.items():
            if kind == "unattributed" and not any(row[name] for name in COUNTS):
                continue
            table.add(mode, kind, row["injected"], row["trials hit"], *(row[n] for n in COUNTS))
        injected = sum(row["injected"] for row in rows.values())
        runs.add(mode, args.trials, injected, result.runs, result.wall_s, len(result.trials))
        print(result.details(), flush=True)
        figures.append({"mode": mode, "rows": rows, "log": result.log, "runs": result.runs})
    bench.report(table, runs, figures=figures)


if __name__ == "__main__":
    main()
