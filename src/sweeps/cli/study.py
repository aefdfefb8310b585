"""``sweeps study prepare``: create or load the sweep's study (the first Snakemake rule)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sweeps.cli.common import add_spec_options, spec_from_args, user_errors


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("study", help="create or load a sweep's study")
    verbs = parser.add_subparsers(dest="verb", required=True)
    prepare = verbs.add_parser("prepare", help="create the study, or check a stored one matches")
    add_spec_options(prepare)
    prepare.add_argument(
        "--force", action="store_true", help="resume even if the pinned settings changed"
    )
    prepare.add_argument("--receipt", type=Path, default=None, help="write a JSON receipt here")
    prepare.set_defaults(run=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from sweeps.controller.study_job import run_study_job

    spec = spec_from_args(args)
    info = run_study_job(spec, args.receipt, force=args.force)
    print(
        f"study {spec.study!r} ready in {info['storage']} "
        f"({info['trials_so_far']} trials so far, budget {spec.budget.n_trials})"
    )
    return 0
