"""``sweeps published [GLOB ...]``: the published sweeps the package ships, one line each (the
name ``published:NAME`` takes, its trial budget, how long a run takes on one core, its
description); read-only.

The run time is measured, not estimated: benchmarks/published_times.py times each sweep's
objective per trial on one core, and the workflow's own cost per trial and its start, into
the package's one data file (sweeps.shipped.published_times). A run of N trials takes the
workflow's start plus N times (the objective's seconds per trial plus the workflow's), trials
one after another: on one core a sweep's parallelism does not shorten it. A sweep not in the
file shows "not measured".
"""

from __future__ import annotations

import argparse
import fnmatch
import json
from dataclasses import asdict, dataclass
from typing import Any

from sweeps.cli.common import UserError, user_errors

NOT_MEASURED = "not measured"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "published",
        help="the shipped published sweeps: name, trials, run time on one core, description",
    )
    parser.add_argument(
        "patterns",
        nargs="*",
        metavar="GLOB",
        help="only the names that match one of these (e.g. 'bayesmark-kNN_*' '*_iris_*')",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)


@dataclass(frozen=True)
class Listed:
    """One published sweep as the list shows it."""

    name: str
    description: str
    n_trials: int
    parallelism: int
    objective_s_per_trial: float | None  # measured; None: not measured
    run_s: float | None  # a run of n_trials on one core; None: not measured


@dataclass(frozen=True)
class Timings:
    """What the data file says: each sweep's objective seconds per trial, the workflow's."""

    objective: dict[str, float]
    workflow_s_per_trial: float | None  # None: the workflow's own cost is not measured
    start_s: float
    runs: list[dict[str, Any]]  # the benchmark's runs that measured them: machine, date

    @classmethod
    def read(cls) -> Timings:
        from sweeps.shipped import published_times

        data = published_times()
        workflow = data.get("workflow") or {}
        sweeps = data.get("sweeps") or {}
        per_trial = workflow.get("s_per_trial")
        return cls(
            objective={name: float(entry["s_per_trial"]) for name, entry in sweeps.items()},
            workflow_s_per_trial=None if per_trial is None else max(0.0, float(per_trial)),
            start_s=max(0.0, float(workflow.get("start_s", 0.0))),
            runs=list(data.get("runs") or []),
        )

    def run_s(self, name: str, n_trials: int) -> float | None:
        per_trial = self.objective.get(name)
        if per_trial is None:
            return None
        return self.start_s + n_trials * (per_trial + (self.workflow_s_per_trial or 0.0))

    def meaning(self) -> str:
        """What the run time column is, and where it was measured."""
        seen = [f"{run.get('cpu', '?')}, {run.get('date', '?')}" for run in self.runs]
        where = "; ".join(dict.fromkeys(seen))
        measured = f"measured by benchmarks/published_times.py{f' on {where}' if where else ''}"
        if self.workflow_s_per_trial is None:
            return (
                "run time, one core: CPU time of n_trials x the objective's measured seconds "
                "per trial, one trial after another (the workflow's own cost per trial is not "
                f"measured and comes on top); {measured}"
            )
        return (
            "run time, one core: the CPU time of snakemake --cores 1 running the sweep's "
            "n_trials one after another (a sweep's parallelism does not shorten it on one core) "
            f"= the workflow's start ({self.start_s:.0f} s) + n_trials x (the objective's "
            f"measured seconds per trial + the workflow's {self.workflow_s_per_trial:.1f} s per "
            f"trial); {measured}"
        )


def listed(patterns: list[str]) -> list[Listed]:
    from sweeps.shipped import published_sweeps
    from sweeps.spec import load_spec

    shipped = published_sweeps()
    names = [n for n in shipped if not patterns or any(fnmatch.fnmatch(n, p) for p in patterns)]
    if not names:
        raise UserError(
            f"no published sweep matches {', '.join(map(repr, patterns))}; 'sweeps published' "
            "lists them all"
        )
    timings = Timings.read()
    rows = []
    for name in names:
        spec = load_spec(shipped[name])
        rows.append(
            Listed(
                name=name,
                description=" ".join(spec.description.split()),
                n_trials=spec.budget.n_trials,
                parallelism=spec.parallelism,
                objective_s_per_trial=timings.objective.get(name),
                run_s=timings.run_s(name, spec.budget.n_trials),
            )
        )
    return rows


def duration(seconds: float | None) -> str:
    """``45 s``, ``3 min 20 s``, ``2 h 05 min``; "not measured" for None."""
    if seconds is None:
        return NOT_MEASURED
    whole = round(seconds)
    if whole < 60:
        return f"{max(whole, 1)} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@user_errors
def run(args: argparse.Namespace) -> int:
    rows = listed(args.patterns)
    timings = Timings.read()
    if args.json:
        print(
            json.dumps(
                {
                    "run_time": timings.meaning(),
                    "measured_by": timings.runs,
                    "sweeps": [asdict(r) for r in rows],
                },
                indent=2,
            )
        )
        return 0
    header = ("NAME (published:NAME)", "TRIALS", "RUN TIME, ONE CORE", "DESCRIPTION")
    cells = [header] + [(r.name, str(r.n_trials), duration(r.run_s), r.description) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header) - 1)]
    print(timings.meaning())
    for row in cells:
        left = [row[0].ljust(widths[0]), row[1].rjust(widths[1]), row[2].rjust(widths[2])]
        print("  ".join([*left, row[3]]).rstrip())
    return 0
