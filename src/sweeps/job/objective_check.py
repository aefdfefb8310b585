"""Before anything is submitted: can the sweep's objective be called as its trials will call it?

A sweep whose objective cannot be imported, or does not take its fixed arguments, would
otherwise fail every trial (on a cluster: every queued GPU job) with the same error.
"""

from __future__ import annotations

import inspect

from sweeps.job.runner import import_objective, takes_handle
from sweeps.spec import SweepSpec


def check_objective(spec: SweepSpec, must_import: bool) -> str | None:
    """Raise ``ValueError`` naming the setting and value when the objective cannot be imported
    (where ``must_import``: the trials run on this machine) or cannot take the sweep's fixed
    arguments. When it cannot be imported here but may be in the trials' own environment (a
    container on the compute nodes), return a note saying so instead."""
    name = spec.objective.function
    try:
        objective = import_objective(name)
    except Exception as err:  # ImportError, or any error raised while importing the module
        why = " ".join(f"{type(err).__name__}: {err}".split())
        if must_import:
            raise ValueError(f"objective.function = {name!r} cannot be imported: {why}") from None
        return (
            f"objective {name!r} cannot be imported here ({why}); "
            "the trials' own environment must provide it"
        )
    if not callable(objective):
        raise ValueError(f"objective.function = {name!r} is not callable")
    try:
        signature = inspect.signature(objective)
    except (TypeError, ValueError):  # a builtin or extension without a signature: trust it
        return None
    args = spec.objective.args
    called_with: tuple[object, ...] = ({}, object()) if takes_handle(objective, args) else ({},)
    try:
        signature.bind(*called_with, **args)
    except TypeError as err:
        raise ValueError(
            f"objective.args = {args!r}: {name} cannot be called with them: {err}"
        ) from None
    return None
