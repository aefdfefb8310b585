"""What the subcommands share: the --spec/--site options and error translation."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from sweeps.spec import SpecError, SweepSpec
from sweeps.spec.shortening import N_TRIALS_ENV, handed_on
from sweeps.spec.sites import load_with_sites
from sweeps.study import StudyMismatch
from sweeps.study.batches import BatchOrderError

DEFAULT_SPEC = Path("config/sweeps/default.yaml")
PROJECT_CONFIG = Path("config/config.yaml")  # the workflow's config: its `sweep:` is the default

# Exceptions that are the user's to fix: shown as one clear message, exit code 2.
USER_ERRORS: tuple[type[Exception], ...] = (
    SpecError,
    StudyMismatch,
    BatchOrderError,
    LookupError,
    ValueError,
)


class UserError(Exception):
    """A problem the user can fix; printed without a traceback."""


def default_spec() -> Path:
    """The sweep the project's workflow runs: ``sweep:`` in ./config/config.yaml (a path or
    ``published:NAME``), else config/sweeps/default.yaml."""
    try:
        sweep = yaml.safe_load(PROJECT_CONFIG.read_text()).get("sweep")
    except (OSError, AttributeError, yaml.YAMLError):
        return DEFAULT_SPEC
    return Path(sweep) if isinstance(sweep, str) and sweep else DEFAULT_SPEC


def add_spec_options(parser: argparse.ArgumentParser, positional: bool = False) -> None:
    """``--spec PATH`` (or a positional ``PATH``) and ``--site PATH`` (repeatable)."""
    if positional:
        parser.add_argument("spec", type=Path, metavar="PATH", help="the sweep file")
    else:
        parser.add_argument(
            "--spec",
            type=Path,
            default=default_spec(),
            help=f"the sweep file or published:NAME (default: `sweep:` in {PROJECT_CONFIG}, "
            f"else {DEFAULT_SPEC})",
        )
    parser.add_argument(
        "--site",
        type=Path,
        action="append",
        default=None,
        help="a site settings file (from a profile): its resources are defaults the sweep "
        "overrides, its other settings are merged over the sweep; repeatable",
    )
    parser.add_argument(
        "--site-override",
        type=Path,
        action="append",
        default=None,
        help="settings merged over the sweep and its sites, resources too (one run's tweak)",
    )
    parser.add_argument(
        "--n-trials",
        default=None,
        metavar="N",
        help="this run's budget shortened to N trials, 1 to the sweep's budget.n_trials "
        f"(default: ${N_TRIALS_ENV}, which snakemake --config n_trials=N sets for its jobs)",
    )


def add_force_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force", action="store_true", help="run even if the study's pinned settings changed"
    )


def spec_from_args(args: argparse.Namespace) -> SweepSpec:
    """Load the sweep named by --spec, with its --site settings and --n-trials (else the
    budget the workflow handed on: sweeps.spec.shortening)."""
    n_trials = args.n_trials if args.n_trials is not None else handed_on()
    try:
        return load_with_sites(args.spec, args.site or [], args.site_override, n_trials=n_trials)
    except SpecError as err:
        raise UserError(str(err)) from None


def user_errors(func: Any) -> Any:
    """Turn the user-fixable exceptions raised by ``func`` into :class:`UserError`."""

    def wrapper(args: argparse.Namespace) -> int:
        try:
            result: int = func(args)
        except USER_ERRORS as err:
            raise UserError(str(err)) from None
        return result

    return wrapper


def run_controller(
    work: Callable[[], object], stopped: tuple[type[BaseException], ...], prefix: str
) -> int:
    """Run a controller job (a slot, a lane): 130 on Ctrl-C; one line on ``prefix`` and exit 1
    when it stops with one of ``stopped`` (the traceback is in the trial log); else 0."""
    try:
        work()
    except KeyboardInterrupt:
        return 130
    except stopped as err:
        print(f"{prefix}: {err}", file=sys.stderr, flush=True)
        return 1
    return 0
