"""Before anything is submitted: can the sweep's objective be called as its trials will call it?

A sweep whose objective cannot be imported, or does not take its fixed arguments, would
otherwise fail every trial (on a cluster: every queued GPU job) with the same error.
"""

from __future__ import annotations

import inspect
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sweeps.job.command import command_argv, workdir
from sweeps.job.runner import import_objective, takes_handle
from sweeps.job.task import TrialTask
from sweeps.spec import SweepSpec

ArgsCheck = Callable[[dict[str, Any]], str | None]
F = TypeVar("F", bound=Callable[..., Any])
_ARGS_CHECKS: dict[Callable[..., Any], ArgsCheck] = {}


def checks_args(check: ArgsCheck) -> Callable[[F], F]:
    """Register ``check`` for an objective function: it is given the sweep's ``objective.args``
    at ``validate`` and before submitting, raises ``ValueError`` on ones it refuses and may
    return a note to print (an approximation, say)."""

    def register(objective: F) -> F:
        _ARGS_CHECKS[objective] = check
        return objective

    return register


def check_objective(spec: SweepSpec, must_import: bool) -> str | None:
    """Raise ``ValueError`` naming the setting and value when the objective cannot be imported
    (where ``must_import``: the trials run on this machine) or cannot take the sweep's fixed
    arguments. When it cannot be imported here but may be in the trials' own environment (a
    container on the compute nodes), return a note saying so instead. A command objective's
    program is checked by :func:`check_command`."""
    if spec.objective.function is None:
        return check_command(spec, must_find=must_import)
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
    check = _ARGS_CHECKS.get(objective)
    if check is None:
        return None
    try:
        return check(dict(args))
    except ValueError as err:
        raise ValueError(f"objective.args = {args!r}: {err}") from None


def check_command(spec: SweepSpec, must_find: bool) -> str | None:
    """Raise ``ValueError`` when the command's program, or the script a Python interpreter is
    given, is not a file in the command's directory; when its program is not on ``PATH`` here,
    raise where ``must_find`` (trials run on this machine), else return a note."""
    argv = command_argv(_sample_task(spec), "params.json")
    key = "objective.command" if spec.objective.command is not None else "objective.program"
    value = spec.objective.command if spec.objective.command is not None else spec.objective.program
    cwd = workdir(_sample_task(spec))
    words = _skip_env(argv)
    if not words:
        raise ValueError(f"{key} = {value!r}: names no program")
    program = words[0]
    if "/" in program:
        if not (cwd / program).is_file():
            raise ValueError(f"{key} = {value!r}: program {program!r} is not a file in {cwd}")
    elif shutil.which(program) is None:
        if must_find:
            raise ValueError(f"{key} = {value!r}: program {program!r} is not on PATH")
        return (
            f"program {program!r} is not on PATH here; the trials' own environment must provide it"
        )
    script = _python_script(words)
    if script is not None and not (cwd / script).is_file():
        raise ValueError(f"{key} = {value!r}: script {script!r} is not a file in {cwd}")
    return None


def _skip_env(argv: list[str]) -> list[str]:
    """The words after ``/usr/bin/env`` and its ``NAME=value`` assignments."""
    words = list(argv)
    if words and os.path.basename(words[0]) == "env":
        words = words[1:]
        while words and "=" in words[0] and not words[0].startswith("-"):
            words = words[1:]
    return words


def _python_script(words: list[str]) -> str | None:
    """The script file a ``python [options] SCRIPT`` command runs (None for ``-m``, ``-c``)."""
    if not Path(words[0]).name.startswith("python"):
        return None
    for word in words[1:]:
        if word in ("-m", "-c", "-"):
            return None
        if not word.startswith("-"):
            return word
    return None


def _sample_task(spec: SweepSpec) -> TrialTask:
    """A task with placeholder parameters, to expand the command as a trial would."""
    params = {name: f"<{name}>" for name in spec.space}
    return TrialTask(
        spec, trial_id=0, number=0, slot=0, attempt=0, params=params, seed=0, checkpoint_dir=""
    )
