"""``sweeps compare``: a run of a published sweep beside the figures its sweep file carries;
read-only (it writes neither to the study nor to a file)."""

from __future__ import annotations

import argparse
import json

from sweeps.cli.common import UserError, add_spec_options, spec_from_args, user_errors


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "compare",
        help="a published sweep's run beside its published figures (exit 1: one differs)",
    )
    add_spec_options(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from sweeps.report.published import compare_published, require_published
    from sweeps.spec.paths import sweep_file
    from sweeps.storage import storage_file
    from sweeps.study import load_study

    spec = spec_from_args(args)
    require_published(spec, where=str(sweep_file(args.spec)))
    stored = storage_file(spec.storage_url)
    if stored is not None and not stored.exists():  # opening it would create it
        raise UserError(f"no study yet: {stored} does not exist; run the sweep first")
    comparison = compare_published(load_study(spec, check=False), spec)
    if args.json:
        print(json.dumps(comparison.as_dict(), indent=2, default=str))
    else:
        print(comparison.text())
    return 0 if comparison.reproduces else 1
