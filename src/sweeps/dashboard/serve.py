"""Serving optuna-dashboard for a sweep's storage and artifact store, behind a token."""

from __future__ import annotations

import errno
import getpass
import ipaddress
import re
import socket
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from sweeps.dashboard.token import TokenGate
from sweeps.spec import SweepSpec
from sweeps.storage import open_storage
from sweeps.study.artifacts import artifact_store

LOOPBACK_NAMES = ("localhost",)
_TOKEN_IN_PATH = re.compile(r"token=[^&\s\"]+")


class DashboardError(ValueError):
    """The dashboard cannot listen where it was asked to (port taken, bad host or port)."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def forward_hint(host: str, port: int) -> str:
    """The ssh command that brings the dashboard to a laptop's browser."""
    bind = "127.0.0.1" if host in ("127.0.0.1", "localhost", "0.0.0.0", "::") else host
    login = f"{getpass.getuser()}@{socket.getfqdn()}"
    return f"ssh -N -L {port}:{bind}:{port} {login}"


class _Handler(WSGIRequestHandler):
    """Logs requests without the token."""

    def log_message(self, format: str, *args: Any) -> None:
        super().log_message("%s", _TOKEN_IN_PATH.sub("token=***", format % args))


def listen(spec: SweepSpec, token: str, host: str = "127.0.0.1", port: int = 0) -> WSGIServer:
    """A server bound to ``host:port`` (0: a free port) serving the sweep's dashboard to
    requests that carry ``token``; :class:`DashboardError` if it cannot bind."""
    from optuna_dashboard import wsgi

    app = wsgi(open_storage(spec.storage_url), artifact_store=artifact_store(spec))
    server_class = _IPv6Server if ":" in host else WSGIServer
    try:
        server = make_server(host, port, app, server_class=server_class, handler_class=_Handler)
    except OverflowError:
        raise DashboardError(
            f"port {port} is out of range: use 1-65535, or 0 for any free port"
        ) from None
    except socket.gaierror as err:
        raise DashboardError(f"cannot listen on host {host!r}: {err.strerror}") from None
    except OSError as err:
        raise DashboardError(_bind_problem(host, port, err)) from None
    # Cookies ignore ports: one per port keeps two dashboards on one host apart.
    server.set_app(TokenGate(app, token, cookie=f"sweeps_dashboard_{server.server_port}"))
    return server


def _bind_problem(host: str, port: int, err: OSError) -> str:
    if err.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is already in use (another dashboard or program); "
            "leave out --port to take a free one, or pick another"
        )
    if err.errno == errno.EACCES:
        return f"port {port} needs root on {host}: pick one above 1023, or leave out --port"
    if err.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {host}: not an address of this machine"
    return f"cannot listen on {host}:{port}: {err.strerror or err}"


class _IPv6Server(WSGIServer):
    address_family = socket.AF_INET6


__all__ = ["DashboardError", "forward_hint", "is_loopback", "listen"]
