"""``sweeps trial``: bring one trial slot to a final trial (one Snakemake job)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sweeps.cli.common import add_spec_options, spec_from_args, user_errors
from sweeps.report.progress import progress_line
from sweeps.study import load_study
from sweeps.trial.controller import run_slot


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("trial", help="run one trial slot and write its receipt")
    add_spec_options(parser)
    parser.add_argument("--slot", type=int, required=True, help="the slot, 0..n_trials-1")
    parser.add_argument("--receipt", type=Path, required=True, help="where to write the receipt")
    parser.add_argument("--log", type=Path, default=None, help="also append progress here")
    parser.add_argument(
        "--force", action="store_true", help="run even if the study's pinned settings changed"
    )
    parser.set_defaults(run=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    spec = spec_from_args(args)
    try:
        receipt = run_slot(spec, args.slot, args.receipt, force=args.force)
    except KeyboardInterrupt:
        return 130
    line = progress_line(load_study(spec, check=False), spec, receipt)
    print(line, file=sys.stderr, flush=True)
    if args.log:
        args.log.parent.mkdir(parents=True, exist_ok=True)
        with args.log.open("a") as log:
            log.write(line + "\n")
    return 0
