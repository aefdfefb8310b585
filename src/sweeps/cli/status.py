"""``sweeps status``: counts per state, best value and parameters."""

from __future__ import annotations

import argparse
import json

from sweeps.cli.common import add_spec_options, spec_from_args, user_errors


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("status", help="where a sweep stands: counts per state, best trial")
    add_spec_options(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from sweeps.report.summary import summarize
    from sweeps.storage import redact_url
    from sweeps.study import load_study
    from sweeps.study.stale import fail_stale_trials

    spec = spec_from_args(args)
    study = load_study(spec, check=False)
    stale = fail_stale_trials(study)
    summary = summarize(study, spec)
    if args.json:
        print(json.dumps(summary.as_dict(), indent=2, default=str))
        return 0
    console = Console()
    if stale:
        console.print(
            f"failed {len(stale)} stale trial(s) whose controller stopped sending heartbeats "
            f"(retried by their slot's next run): {stale}"
        )
    console.print(
        f"[bold]{spec.study}[/] in {redact_url(spec.storage_url)}: "
        f"{summary.slots_done}/{summary.n_trials} trial slots done"
    )
    table = Table("state", "trials")
    for state, count in summary.counts.items():
        if count:
            table.add_row(state, str(count))
    console.print(table)
    for best in summary.best:
        console.print(
            f"best: trial {best['number']} values={best['values']} params={best['params']}"
        )
    if not summary.best:
        console.print("best: no completed trial yet")
    return 0
