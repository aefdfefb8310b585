"""``sweeps dashboard``: optuna-dashboard for the sweep, on this host only by default."""

from __future__ import annotations

import argparse

from sweeps.cli.common import UserError, add_spec_options, spec_from_args, user_errors
from sweeps.storage import redact_url
from sweeps.study import load_study


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "dashboard", help="serve optuna-dashboard for the sweep (127.0.0.1; prints the ssh tunnel)"
    )
    add_spec_options(parser)
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (8080)")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1: login nodes are shared; reach it by ssh -L)",
    )
    parser.set_defaults(run=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    try:
        import optuna_dashboard  # noqa: F401
    except ImportError:
        raise UserError("optuna-dashboard is missing: pip install 'sweeps[dashboard]'") from None
    from sweeps.dashboard import forward_hint, serve, write_study_note

    spec = spec_from_args(args)
    write_study_note(spec, load_study(spec, check=False))
    print(
        f"optuna-dashboard for study {spec.study!r} in {redact_url(spec.storage_url)}\n"
        f"  here:        http://{args.host}:{args.port}/dashboard\n"
        f"  from laptop: {forward_hint(args.host, args.port)}\n"
        f"               then open http://127.0.0.1:{args.port}/dashboard",
        flush=True,
    )
    serve(spec, host=args.host, port=args.port)
    return 0
