"""``sweeps import``: convert a W&B sweep or a Hydra Optuna sweeper config into a sweep file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sweeps.cli.common import UserError
from sweeps.importers import (
    SOURCES,
    ImportOptions,
    UnsupportedConstruct,
    import_file,
    write_imported,
)
from sweeps.spec import SpecError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("import", help="convert a W&B or Hydra sweep file into a sweep file")
    parser.add_argument("file", type=Path, help="the W&B sweep YAML or Hydra config")
    parser.add_argument(
        "--from",
        dest="source",
        choices=sorted(SOURCES),
        default=None,
        help="the file's tool (default: detected)",
    )
    parser.add_argument("--out", type=Path, required=True, help="the sweep file to write")
    parser.add_argument(
        "--objective",
        default=None,
        help="package.module:function to optimise instead of the file's script",
    )
    parser.add_argument(
        "--program",
        default=None,
        help="the script trials run (a Hydra app; for W&B: instead of the file's program)",
    )
    parser.add_argument("--study", default=None, help="study name (default: from the file)")
    parser.add_argument("--n-trials", type=int, default=None, help="budget (overrides the file)")
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Hydra config value the file cannot give (e.g. one read from the environment)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    options = ImportOptions(
        objective=args.objective,
        study=args.study,
        n_trials=args.n_trials,
        program=args.program,
        settings=tuple(_setting(text) for text in args.settings),
    )
    try:
        imported = import_file(args.file, options, source=args.source)
    except (UnsupportedConstruct, SpecError) as err:
        raise UserError(str(err)) from None
    write_imported(imported, args.file, args.out)
    for note in imported.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {args.out} ({len(imported.spec['space'])} parameters)")
    return 0


def _setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise UserError(f"--set {text!r}: write KEY=VALUE, e.g. --set constants.seed=3")
    return key.strip(), value
