"""Dispatching trial attempts as submitit jobs: one interface, one module per backend."""

from sweeps.dispatch.base import JobHandle, collect_outcome, make_executor, reattach

__all__ = ["JobHandle", "collect_outcome", "make_executor", "reattach"]
