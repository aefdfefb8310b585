"""``sweeps batch``: ask one batch of a reproducible sweep's trials (one Snakemake job)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sweeps.cli.common import add_force_option, add_spec_options, spec_from_args, user_errors
from sweeps.study.batches import BatchOrderError, ask_batch


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
    spec = spec_from_args(args)
    try:
        trials = ask_batch(spec, args.batch, force=args.force)
    except BatchOrderError as err:
        raise ValueError(str(err)) from None
    receipt = {
        "study": spec.study,
        "batch": args.batch,
        "trials": [
            {"slot": t.system_attrs["sweeps:slot"], "number": t.number, "params": t.params}
            for t in trials
        ],
    }
    args.receipt.parent.mkdir(parents=True, exist_ok=True)
    args.receipt.write_text(json.dumps(receipt, indent=2, default=str) + "\n")
    print(f"batch {args.batch}: asked trials {[t.number for t in trials]}")
    return 0
