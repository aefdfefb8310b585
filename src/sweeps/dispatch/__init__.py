"""Dispatching trial attempts as submitit jobs: one interface, one module per backend."""

from sweeps.dispatch.arrays import announce_trial, withdraw_trial
from sweeps.dispatch.base import (
    JobHandle,
    collect_outcome,
    make_executor,
    reattach,
    still_running,
    submit_trial,
)

__all__ = [
    "JobHandle",
    "announce_trial",
    "collect_outcome",
    "make_executor",
    "reattach",
    "still_running",
    "submit_trial",
    "withdraw_trial",
]
