"""``sweeps doctor``: is the sweep's storage reachable and writable from here, and safe?"""

from __future__ import annotations

import argparse

import optuna
from rich.console import Console

from sweeps.cli.common import add_spec_options, spec_from_args, user_errors
from sweeps.storage.doctor import check_storage

MARKS = {"ok": "[green]ok[/]  ", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]"}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "doctor", help="check the sweep's storage from this host (reachable, writable, safe)"
    )
    add_spec_options(parser)
    parser.add_argument(
        "--storage", default=None, help="check this storage URL instead of the sweep's"
    )
    parser.set_defaults(run=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    url = args.storage if args.storage else spec_from_args(args).storage_url
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    checks = check_storage(url)
    console = Console(highlight=False)
    for check in checks:
        console.print(f"{MARKS[check.level]} {check.what}: {check.detail}", soft_wrap=True)
    return 1 if any(c.level == "fail" for c in checks) else 0
