"""The ``sweeps`` command line: one module per subcommand, registered here."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from sweeps import __version__
from sweeps.cli import (
    batch,
    bundle,
    compare,
    dashboard,
    doctor,
    importer,
    init,
    lane,
    outcome,
    profiles,
    published,
    report,
    status,
    study,
    trial,
    validate,
)
from sweeps.cli.common import UserError

COMMANDS = (
    init,
    validate,
    status,
    study,
    trial,
    lane,
    report,
    outcome,
    compare,
    published,
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
    parser.add_argument("--version", action="version", version=f"sweeps {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sweeps`` console script."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
        sys.stdout.flush()
    except UserError as err:
        print(f"sweeps {args.command}: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`sweeps status | head -1`): not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's final flush must not fail
        return 0
    return code
