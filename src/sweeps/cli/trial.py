"""``sweeps trial``: bring one trial slot to a final trial (one Snakemake job)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sweeps.cli.common import (
    add_force_option,
    add_spec_options,
    run_controller,
    spec_from_args,
    user_errors,
)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("trial", help="run one trial slot and write its receipt")
    add_spec_options(parser)
    parser.add_argument("--slot", type=int, required=True, help="the slot, 0..n_trials-1")
    parser.add_argument("--receipt", type=Path, required=True, help="where to write the receipt")
    parser.add_argument("--log", type=Path, default=None, help="also append progress here")
    add_force_option(parser)
    parser.set_defaults(run=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from sweeps.controller.progress import report_slot
    from sweeps.controller.slot import run_slot
    from sweeps.controller.stopped import ControllerStopped

    spec = spec_from_args(args)
    return run_controller(
        lambda: report_slot(
            spec, run_slot(spec, args.slot, args.receipt, force=args.force), args.log
        ),
        (ControllerStopped, OSError),
        f"sweeps trial: slot {args.slot}",
    )
