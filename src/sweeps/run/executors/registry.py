"""The executors a sweep can name in ``dispatch.executor``: one line per backend."""

from __future__ import annotations

from sweeps.run.executors.base import Backend
from sweeps.run.executors.local import LocalBackend
from sweeps.run.executors.slurm import SlurmBackend
from sweeps.spec import SweepSpec

BACKENDS: dict[str, Backend] = {
    LocalBackend.name: LocalBackend(),
    SlurmBackend.name: SlurmBackend(),
}


class UnknownExecutor(ValueError):
    """The sweep names an executor no backend is registered for."""


def register_backend(backend: Backend) -> None:
    """Make ``backend`` available as ``dispatch.executor: <backend.name>``."""
    BACKENDS[backend.name] = backend


def backend_named(name: str) -> Backend:
    """The backend registered as ``name``."""
    try:
        return BACKENDS[name]
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise UnknownExecutor(
            f"dispatch.executor: {name!r} is not a known executor (known: {known})"
        ) from None


def backend_for(spec: SweepSpec) -> Backend:
    """The backend of ``spec``'s ``dispatch.executor``."""
    return backend_named(spec.dispatch.executor)
