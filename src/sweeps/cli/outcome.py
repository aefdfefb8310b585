"""``sweeps outcome``: whether the sweep succeeded (one COMPLETE trial is enough, or all
pruned); exit 1 with one line when not. The workflow's last step, after the report; it never
writes to the study."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sweeps.cli.common import UserError, add_spec_options, spec_from_args, user_errors


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "outcome", help="whether a trial of the sweep succeeded (exit 1: none did)"
    )
    add_spec_options(parser)
    parser.add_argument("--log", type=Path, default=None, help="also write the verdict here")
    parser.set_defaults(run=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from sweeps.report.outcome import verdict
    from sweeps.storage import storage_file
    from sweeps.study import load_study

    spec = spec_from_args(args)
    stored = storage_file(spec.storage_url)
    if stored is not None and not stored.exists():  # opening it would create it
        raise UserError(f"no study yet: {stored} does not exist; run the sweep first")
    succeeded, line = verdict(load_study(spec, check=False), spec)
    print(line, file=sys.stdout if succeeded else sys.stderr, flush=True)
    if args.log is not None:
        args.log.parent.mkdir(parents=True, exist_ok=True)
        args.log.write_text(line + "\n")
    return 0 if succeeded else 1
