"""``sweeps lane``: run one lane of trial slots one after another (one Snakemake job)."""

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
    parser = sub.add_parser("lane", help="run the trial slots of one lane and write their receipts")
    add_spec_options(parser)
    parser.add_argument("--lane", type=int, required=True, help="the lane, 0..lanes-1")
    parser.add_argument("--lanes", type=int, required=True, help="how many lanes run the sweep")
    parser.add_argument("--log", type=Path, default=None, help="also append progress here")
    add_force_option(parser)
    parser.set_defaults(run=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from sweeps.controller.lanes import LaneFailed, run_lane_job

    spec = spec_from_args(args)
    return run_controller(
        lambda: run_lane_job(spec, args.lane, args.lanes, log=args.log, force=args.force),
        (LaneFailed,),
        "sweeps lane",
    )
