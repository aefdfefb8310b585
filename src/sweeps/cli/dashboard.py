"""``sweeps dashboard``: optuna-dashboard for the sweep, for its user only by default."""

from __future__ import annotations

import argparse
import sys

from sweeps.cli.common import UserError, add_spec_options, spec_from_args, user_errors
from sweeps.storage import redact_url
from sweeps.study import load_study


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 0 (any free port) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is out of range: use 1-65535, or 0 for any")
    return port


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "dashboard",
        help="serve optuna-dashboard for the sweep (127.0.0.1, a free port, a token in the URL)",
    )
    add_spec_options(parser)
    parser.add_argument(
        "--port", type=port_number, default=0, help="port to listen on (default: a free one)"
    )
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
    from sweeps.dashboard import forward_hint, is_loopback, listen, new_token, write_study_note

    spec = spec_from_args(args)
    write_study_note(spec, load_study(spec, check=False))
    if not is_loopback(args.host):
        print(
            f"warning: --host {args.host} lets other machines reach the dashboard over plain "
            "http (the token travels unencrypted); the default 127.0.0.1 with ssh -L is safer",
            file=sys.stderr,
            flush=True,
        )
    token = new_token()
    server = listen(spec, token, host=args.host, port=args.port)
    port = server.server_port
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"optuna-dashboard for study {spec.study!r} in {redact_url(spec.storage_url)}\n"
        f"  here:        http://{shown}:{port}/dashboard?token={token}\n"
        f"  from laptop: {forward_hint(args.host, port)}\n"
        f"               then open http://127.0.0.1:{port}/dashboard?token={token}\n"
        "  (the token keeps other users of this machine out; keep the URL to yourself)",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
