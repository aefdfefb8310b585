"""``sweeps export`` and ``sweeps reproduce``: bundles of published sweeps."""

from __future__ import annotations

import argparse
from pathlib import Path

from sweeps.bundle import export_bundle
from sweeps.bundle.compare import Tolerance
from sweeps.bundle.reproduce import Mode, ReproductionOptions, reproduce
from sweeps.cli.common import add_spec_options, spec_from_args, user_errors


def register(sub: argparse._SubParsersAction) -> None:
    export = sub.add_parser("export", help="write a sweep and all its trials as a bundle")
    add_spec_options(export)
    export.add_argument("--out", type=Path, required=True, help="the bundle directory")
    export.set_defaults(run=run_export)

    again = sub.add_parser(
        "reproduce", help="re-run a bundle's sweep through Snakemake and compare"
    )
    again.add_argument("bundle", type=Path, help="a directory written by 'sweeps export'")
    again.add_argument(
        "--resample",
        action="store_true",
        help="sample anew (compare summary statistics) instead of replaying each trial",
    )
    again.add_argument("--study", default=None, help="study name (default: <study>-reproduced)")
    again.add_argument("--storage", default=None, help="storage URL (default: SQLite in results/)")
    again.add_argument("--cores", type=int, default=2, help="snakemake --cores")
    again.add_argument(
        "--snakefile",
        type=Path,
        default=None,
        help="the workflow (default: ./Snakefile, else the installed sweeps workflow)",
    )
    again.add_argument("--rtol", type=float, default=None, help="relative tolerance")
    again.add_argument("--atol", type=float, default=None, help="absolute tolerance")
    again.set_defaults(run=run_reproduce)


@user_errors
def run_export(args: argparse.Namespace) -> int:
    spec = spec_from_args(args)
    out = export_bundle(spec, args.out)
    print(f"wrote bundle {out}")
    return 0


@user_errors
def run_reproduce(args: argparse.Namespace) -> int:
    mode: Mode = "resample" if args.resample else "replay"
    default = Tolerance.resample() if args.resample else Tolerance.replay()
    tolerance = Tolerance(
        rtol=default.rtol if args.rtol is None else args.rtol,
        atol=default.atol if args.atol is None else args.atol,
    )
    options = ReproductionOptions(
        mode=mode,
        study=args.study,
        storage=args.storage,
        cores=args.cores,
        snakefile=args.snakefile,
        tolerance=tolerance,
    )
    path, rows = reproduce(args.bundle, options)
    passed = sum(row["pass"] for row in rows)
    print(f"wrote {path} and {path.with_suffix('.html')}: {passed}/{len(rows)} rows pass")
    return 0 if passed == len(rows) else 1
