"""Dispatching trial attempts as submitit jobs: one :class:`Backend` interface, a registry,
one module (or package) per backend."""

from sweeps.run.executors.arrays import announce_trial, withdraw_trial
from sweeps.run.executors.base import Backend, JobHandle, JobStatus
from sweeps.run.executors.registry import backend_for, backend_named, register_backend
from sweeps.run.executors.submit import make_executor, reattach, submit_trial

__all__ = [
    "Backend",
    "JobHandle",
    "JobStatus",
    "announce_trial",
    "backend_for",
    "backend_named",
    "make_executor",
    "reattach",
    "register_backend",
    "submit_trial",
    "withdraw_trial",
]
