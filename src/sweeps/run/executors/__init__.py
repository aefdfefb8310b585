"""Where jobs run: one :class:`Backend` interface over submitit's executors, a registry
(:mod:`.registry`), one module (or package) per backend (:mod:`.local`, :mod:`.slurm`).

Used by the submit host (submitting, watching, cancelling jobs) and by the jobs themselves
(a warm worker reads its own job's facts through its backend), so nothing here imports the
strategies or the controller."""

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
