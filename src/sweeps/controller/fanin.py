"""Starting the sweep's storage proxy on the submit host, when its setting asks for one.

The workflow calls :func:`start_for_sweep` once, where it loads the sweep; every process it
starts afterwards (controllers, trial jobs, warm workers, on this host or through Slurm, which
passes the environment on) finds the proxy in the environment and opens no database
connection of its own. A run started by another one (Snakemake's own subprocesses) reuses the
proxy it inherited.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
from collections.abc import Callable

from sweeps.run.executors.base import Backend
from sweeps.run.strategies import strategy_for
from sweeps.spec import SweepSpec
from sweeps.spec.proxy import ProxyMode
from sweeps.storage.proxy import RunningProxy, grpc_installed, proxy_target, start_proxy
from sweeps.storage.urls import backend_of

# Storages whose connections are worth funnelling: servers with a connection limit.
SERVERS = frozenset({"postgresql", "mysql"})


def clients_in_flight(spec: SweepSpec, backend: Backend) -> int:
    """How many processes may use the study at once: a controller per trial in flight (and
    per trial handed over ahead), and what its run strategy starts (a trial job each, or every
    lane of the warm workers)."""
    in_flight, strategy = backend.trials_in_flight(spec), strategy_for(spec)
    controllers = in_flight * (1 + strategy.trials_ahead(spec))
    return controllers + strategy.study_clients(spec, in_flight)


WANTED: dict[ProxyMode, Callable[[SweepSpec, Backend], bool]] = {
    "off": lambda spec, backend: False,
    "grpc": lambda spec, backend: True,
    "auto": lambda spec, backend: (
        grpc_installed()
        and backend_of(spec.storage_url) in SERVERS
        and clients_in_flight(spec, backend) > spec.storage_proxy.auto_above
    ),
}


def proxy_wanted(spec: SweepSpec, backend: Backend) -> bool:
    """Whether this sweep's processes should reach the study through a proxy."""
    return WANTED[spec.storage_proxy.mode](spec, backend)


def proxy_host(spec: SweepSpec, backend: Backend) -> str | None:
    """The TCP address the proxy listens on; None (a private Unix socket) when every trial
    runs on this host."""
    if backend.runs_on_submit_host:
        return None
    return spec.storage_proxy.host or socket.gethostname()


DRY_RUN_FLAGS = frozenset({"-n", "--dry-run", "--dryrun"})


def dry_run(argv: list[str]) -> bool:
    """Whether the Snakemake command line asks for a dry run (``-n``, also bundled as in
    ``-np``); Snakemake itself knows only after loading the workflow, too late here."""
    bundled = (a[1:] for a in argv if a.startswith("-") and not a.startswith("--"))
    return bool(DRY_RUN_FLAGS.intersection(argv)) or any(f.isalpha() and "n" in f for f in bundled)


def start_for_sweep(spec: SweepSpec, backend: Backend) -> RunningProxy | None:
    """Start the sweep's proxy and point this process's environment (so every process it
    starts) at it; None when the setting wants none or a proxy is inherited already. This
    process owns the proxy: one that dies is restarted on its address
    (``storage_proxy.restarts`` times); past that the sweep is interrupted."""
    if not proxy_wanted(spec, backend) or proxy_target(spec.storage_url) is not None:
        return None
    running = start_proxy(
        spec.storage_url, proxy_host(spec, backend), spec.storage_proxy.connections
    )
    atexit.register(running.stop)
    os.environ.update(running.environment())
    running.supervise(spec.storage_proxy.restarts, on_lost=_interrupt_sweep)
    return running


def _interrupt_sweep() -> None:
    """Stop the sweep as Ctrl-C does (SIGTERM, which a ``snakemake`` started as a script's
    background job does not ignore, unlike SIGINT): its controllers give up within the retry
    deadline."""
    os.kill(os.getpid(), signal.SIGTERM)


__all__ = ["clients_in_flight", "dry_run", "proxy_host", "proxy_wanted", "start_for_sweep"]
