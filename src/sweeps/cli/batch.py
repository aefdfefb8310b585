"""``sweeps batch``: ask one batch of a reproducible sweep's trials (one Snakemake job)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sweeps.cli.common import add_force_option, add_spec_options, spec_from_args, user_errors


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "batch", help="ask a reproducible sweep's batch of trials, in trial-number order"
    )
    add_spec_options(parser)
    parser.add_argument("--batch", type=int, required=True, help="the batch, 0, 1, ...")
    parser.add_argument("--receipt", type=Path, required=True, help="where to write its receipt")
    add_force_option(parser)
    parser.set_defaults(run=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from sweeps.controller.batch_job import run_batch_job

    spec = spec_from_args(args)
    info = run_batch_job(spec, args.batch, args.receipt, force=args.force)
    print(f"batch {args.batch}: asked trials {[t['number'] for t in info['trials']]}")
    return 0
