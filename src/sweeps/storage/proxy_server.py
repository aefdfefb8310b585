"""The storage proxy process: Optuna's gRPC proxy servicer behind a token check.

Run as ``python -m sweeps.storage.proxy_server --bind TARGET --connections N --watch PID``
with one JSON line ``{"url": ..., "token": ...}`` on standard input; it prints its address
once it listens and serves until SIGTERM, SIGINT or the end of the watched process.
"""

from __future__ import annotations

import argparse
import contextlib
import hmac
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from optuna.storages import BaseStorage

from sweeps.storage.credentials import expand_url
from sweeps.storage.open import open_proxied_storage
from sweeps.storage.optuna_internals import proxy_servicer_on
from sweeps.storage.proxy import SOCKET_DIR_PREFIX, TOKEN_HEADER, ProxyError
from sweeps.storage.reach import hide_secrets
from sweeps.storage.urls import redact_url

WATCH_EVERY_S = 1.0


def _token_check(token: str) -> Any:
    import grpc

    def refuse(_request: Any, context: grpc.ServicerContext) -> None:
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "sweeps storage proxy: wrong token")

    refused = grpc.unary_unary_rpc_method_handler(refuse)

    class _TokenCheck(grpc.ServerInterceptor):
        def intercept_service(self, continuation: Any, details: Any) -> Any:
            sent = dict(details.invocation_metadata or ()).get(TOKEN_HEADER, "")
            if hmac.compare_digest(str(sent).encode(), token.encode()):
                return continuation(details)
            return refused

    return _TokenCheck()


def serve(storage: BaseStorage, bind: str, token: str, connections: int) -> tuple[Any, str]:
    """Start serving ``storage`` on ``bind`` (``HOST:PORT``, port 0 for a free one, or
    ``unix:PATH``) with ``connections`` worker threads; return the server and its address."""
    import grpc

    server = grpc.server(
        ThreadPoolExecutor(max_workers=connections, thread_name_prefix="sweeps-proxy"),
        interceptors=[_token_check(token)],
        options=[("grpc.max_receive_message_length", -1)],
    )
    proxy_servicer_on(server, storage)
    port = server.add_insecure_port(bind)
    if bind.startswith("unix:"):
        address = bind
    elif port == 0:
        raise ProxyError(f"the storage proxy cannot listen on {bind}")
    else:
        address = f"{bind.rsplit(':', 1)[0]}:{port}"
    server.start()
    return server, address


def _watch(parent: int, stop: Callable[[], None]) -> None:
    """Call ``stop`` once ``parent`` has ended (this process is handed to another parent the
    moment it does, even while ``parent`` waits to be reaped)."""
    while os.getppid() == parent:
        time.sleep(WATCH_EVERY_S)
    stop()


def _shown(err: Exception, url: str) -> str:
    """``err`` as one may print it: a driver that echoes the URL shows no password."""
    try:
        return hide_secrets(str(err), expand_url(url), url)
    except Exception:  # the password could not even be expanded: nothing to hide
        return str(err)


def main(argv: list[str] | None = None) -> int:
    """Serve the storage named on standard input until SIGTERM or the watched process ends."""
    parser = argparse.ArgumentParser(prog="python -m sweeps.storage.proxy")
    parser.add_argument("--bind", required=True)
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--watch", type=int, help="stop when this parent process ends")
    args = parser.parse_args(argv)
    given = json.loads(sys.stdin.readline())
    url, token = given["url"], given["token"]

    try:
        storage = open_proxied_storage(url, args.connections)
        server, address = serve(storage, args.bind, token, args.connections)
    except Exception as err:
        print(f"error: storage proxy for {redact_url(url)}: {_shown(err, url)}", file=sys.stderr)
        return 1
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    if args.watch:
        threading.Thread(target=_watch, args=(args.watch, done.set), daemon=True).start()
    print(address, flush=True)
    done.wait()
    server.stop(grace=5).wait()
    _remove_socket(args.bind)
    return 0


def _remove_socket(bind: str) -> None:
    """Remove a Unix socket and the private directory made for it (its starter may be gone)."""
    if not bind.startswith("unix:"):
        return
    path = Path(bind.removeprefix("unix:"))
    path.unlink(missing_ok=True)
    if path.parent.name.startswith(SOCKET_DIR_PREFIX):
        with contextlib.suppress(OSError):
            path.parent.rmdir()


__all__ = ["main", "serve"]

if __name__ == "__main__":
    sys.exit(main())
