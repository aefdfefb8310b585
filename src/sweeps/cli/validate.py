"""``sweeps validate PATH``: check a sweep file and show what it resolves to."""

from __future__ import annotations

import argparse
import json

from sweeps.cli.common import add_spec_options, spec_from_args, user_errors


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("validate", help="check a sweep file; print its resolved settings")
    add_spec_options(parser, positional=True)
    parser.add_argument("--json", action="store_true", help="print the resolved settings as JSON")
    parser.set_defaults(run=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    import optuna

    from sweeps.controller.tracking import check_tracking
    from sweeps.run.strategies import check_dispatch
    from sweeps.spec.samplers import (
        resolved_pruner_args,
        resolved_sampler_args,
        unpinned_sampler_args,
    )
    from sweeps.study.fingerprint import fingerprint, pinned_settings

    spec = spec_from_args(args)
    # An unknown executor is an error here, not in the first trial; site checks (a Slurm
    # account, say) wait for the machine that submits.
    objective_note = check_dispatch(spec, args.spec, site_checks=False)
    check_tracking(spec, args.spec)  # a tracker named but not installed
    unpinned = unpinned_sampler_args(spec)
    resolved = {
        "study": spec.study,
        "fingerprint": fingerprint(pinned_settings(spec)),
        "sampler": {"name": spec.sampler.name, "args": resolved_sampler_args(spec)},
        "pruner": {"name": spec.pruner.name, "args": resolved_pruner_args(spec)},
        "unpinned_sampler_args": unpinned,
    }
    if args.json:
        print(json.dumps(resolved, indent=2, default=str))
        return 0
    print(f"{args.spec}: valid sweep {spec.study!r} (fingerprint {resolved['fingerprint']})")
    print(
        f"  {len(spec.space)} parameters, {spec.budget.n_trials} trials, "
        f"parallelism {spec.parallelism}, executor {spec.dispatch.executor}"
    )
    if objective_note:
        print(f"  note: {objective_note}")
    if unpinned:
        print(
            f"  note: sampler arguments left to Optuna {optuna.__version__}'s defaults "
            f"(pin them to reproduce across versions): {', '.join(unpinned)}"
        )
    return 0
