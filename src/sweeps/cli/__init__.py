"""The ``sweeps`` command line: one module per subcommand, registered here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sweeps.cli import (
    batch,
    bundle,
    dashboard,
    doctor,
    importer,
    profiles,
    report,
    status,
    study,
    trial,
    validate,
)
from sweeps.cli.common import UserError

COMMANDS = (
    validate,
    status,
    study,
    trial,
    report,
    doctor,
    dashboard,
    importer,
    batch,
    bundle,
    profiles,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sweeps",
        description="Hyperparameter sweeps on GPU clusters: Snakemake + Optuna + "
        "submitit, with a shared SQL study.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sweeps`` console script."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except UserError as err:
        print(f"sweeps {args.command}: error: {err}", file=sys.stderr)
        return 2
    return code
