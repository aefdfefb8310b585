"""Serving optuna-dashboard for a sweep's storage and artifact store."""

from __future__ import annotations

import getpass
import socket

from sweeps.spec import SweepSpec
from sweeps.storage import open_storage
from sweeps.study.artifacts import artifact_store


def forward_hint(host: str, port: int) -> str:
    """The ssh command that brings the dashboard to a laptop's browser."""
    bind = "127.0.0.1" if host in ("127.0.0.1", "localhost", "0.0.0.0", "::") else host
    login = f"{getpass.getuser()}@{socket.getfqdn()}"
    return f"ssh -N -L {port}:{bind}:{port} {login}"


def serve(spec: SweepSpec, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Run optuna-dashboard on ``host:port`` until interrupted (blocks)."""
    from optuna_dashboard import run_server

    run_server(
        open_storage(spec.storage_url), host=host, port=port, artifact_store=artifact_store(spec)
    )
