"""Before anything is submitted: can the sweep's objective be called as its trials will call it?

A sweep whose objective cannot be imported, or does not take its fixed arguments, would
otherwise fail every trial (on a cluster: every queued GPU job) with the same error.
"""

from __future__ import annotations

import importlib
import inspect
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from sweeps import __distribution__
from sweeps.job.command import command_argv, workdir
from sweeps.job.runner import import_objective, takes_handle
from sweeps.job.task import TrialTask
from sweeps.job.tensorboard_reader import check_tensorboard
from sweeps.job.trial_dir import project_dir, python_script, skip_env
from sweeps.spec import SweepSpec

ArgsCheck = Callable[[dict[str, Any]], str | None]
F = TypeVar("F", bound=Callable[..., Any])
_ARGS_CHECKS: dict[Callable[..., Any], ArgsCheck] = {}
# Import names whose distribution is named otherwise (the rest: the import name, as PyPI's).
_DISTRIBUTIONS = {"sklearn": "scikit-learn", "grpc": "grpcio", "google.protobuf": "protobuf"}
_DISTRIBUTIONS |= {"pynvml": "nvidia-ml-py"}
_EXTRA_REQUIREMENT = re.compile(r'^([A-Za-z0-9._-]+)[^;]*;\s*extra\s*==\s*"([^"]+)"')


def checks_args(check: ArgsCheck) -> Callable[[F], F]:
    """Register ``check`` for an objective function: it is given the sweep's ``objective.args``
    at ``validate`` and before submitting, raises ``ValueError`` on ones it refuses and may
    return a note to print (an approximation, say)."""

    def register(objective: F) -> F:
        _ARGS_CHECKS[objective] = check
        return objective

    return register


def check_objective(
    spec: SweepSpec, must_import: bool, directory: Path | None = None
) -> str | None:
    """Raise ``ValueError`` naming the setting and value when the objective cannot be imported
    (where ``must_import``: the trials run on this machine) or cannot take the sweep's fixed
    arguments. It is imported as a trial imports it, with the trials' working ``directory``
    (default: this one; see :func:`trials_directory`) first on the path; a missing package
    that an extra of this distribution brings is named with the ``pip install`` that does.
    When it cannot be imported here but may be in the trials' own environment (a container on
    the compute nodes), return a note saying so instead. A command objective's program is
    checked by :func:`check_command`, the package its TensorBoard events need by
    :func:`check_tensorboard`."""
    name = spec.objective.entry_point
    if name is None:
        notes = [check_command(spec, must_find=must_import), check_tensorboard(spec, must_import)]
        return "; ".join(note for note in notes if note) or None
    key = "objective.optuna" if spec.objective.takes_trial else "objective.function"
    directory = Path.cwd() if directory is None else directory
    try:
        with _on_path(directory):
            objective = import_objective(name)
    except Exception as err:  # ImportError, or any error raised while importing the module
        why = " ".join(f"{type(err).__name__}: {err}".split()) + _import_hint(err, name, directory)
        if must_import:
            raise ValueError(f"{key} = {name!r} cannot be imported: {why}") from None
        return (
            f"objective {name!r} cannot be imported here ({why}); "
            "the trials' own environment must provide it"
        )
    if not callable(objective):
        raise ValueError(f"{key} = {name!r} is not callable")
    try:
        signature = inspect.signature(objective)
    except (TypeError, ValueError):  # a builtin or extension without a signature: trust it
        return None
    args = spec.objective.args
    if not spec.objective.takes_trial and takes_optuna_trial(signature, args):
        raise ValueError(
            f"objective.function = {name!r} takes an Optuna trial, but a 'function' objective is"
            f" called with the trial's parameters (a dict): write objective: {{optuna: {name!r}}}"
            " to call it with an optuna.Trial, as study.optimize does"
        )
    if spec.objective.takes_trial:
        called_with: tuple[object, ...] = (object(),)
    else:
        called_with = ({}, object()) if takes_handle(objective, args) else ({},)
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


def takes_optuna_trial(signature: inspect.Signature, args: dict[str, object]) -> bool:
    """Whether a function's one positional parameter (the fixed ``args`` aside) is an Optuna
    trial: named ``trial`` or annotated ``optuna.Trial``."""
    positional = [
        p
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in args
    ]
    if len(positional) != 1:
        return False
    [param] = positional
    annotation = param.annotation
    named = annotation if isinstance(annotation, str) else getattr(annotation, "__qualname__", "")
    return param.name == "trial" or named.rsplit(".", 1)[-1] in ("Trial", "BaseTrial")


def trials_directory(sweep: str | Path | None) -> Path:
    """The directory a sweep's trials run in, and import their objective from: the project's
    (the nearest directory above the sweep file that holds a ``Snakefile``; Snakemake runs
    there and its trials inherit it), else the current one (a ``published:NAME`` sweep, or a
    sweep file outside any project)."""
    here = Path.cwd()
    if sweep is None or not Path(sweep).is_file():
        return here
    for folder in Path(sweep).resolve().parents:
        if (folder / "Snakefile").is_file():
            return folder
    return here


def install_hint(module: str) -> str | None:
    """``pip install "hpc-sweeps[EXTRA]"`` when a missing ``module`` (an import name) is a
    package that an extra of this distribution brings, else None."""
    wanted = _DISTRIBUTIONS.get(module) or _DISTRIBUTIONS.get(module.partition(".")[0])
    wanted = _canonical(wanted or module.partition(".")[0])
    try:
        requirements = metadata.requires(__distribution__) or []
    except metadata.PackageNotFoundError:
        return None
    for requirement in requirements:
        found = _EXTRA_REQUIREMENT.match(requirement)
        if found and _canonical(found[1]) == wanted and found[2] != "all":
            return f'pip install "{__distribution__}[{found[2]}]"'
    return None


def _canonical(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def _import_hint(err: Exception, name: str, directory: Path) -> str:
    """What to do about a missing module: the extra that brings it, or where it was looked for."""
    if not isinstance(err, ModuleNotFoundError) or not err.name:
        return ""
    hint = install_hint(err.name)
    if hint is not None:
        return f"; {hint} brings it"
    if err.name.partition(".")[0] == name.partition(":")[0].partition(".")[0]:
        return f" (looked for in {directory}, where the trials run, and the installed packages)"
    return ""


@contextmanager
def _on_path(directory: Path) -> Iterator[None]:
    """``sys.path`` as a trial's: its working directory first (``python -m`` puts it there)."""
    entry = str(directory)
    added = entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    importlib.invalidate_caches()  # a module written since the last import is found
    try:
        yield
    finally:
        if added:
            with suppress(ValueError):
                sys.path.remove(entry)


def check_command(spec: SweepSpec, must_find: bool) -> str | None:
    """Raise ``ValueError`` when the command's program, or the script a Python interpreter is
    given, is not a file in the command's directory; when its program is not on ``PATH`` here,
    raise where ``must_find`` (trials run on this machine), else return a note."""
    argv = command_argv(_sample_task(spec), "params.json")
    key = "objective.command" if spec.objective.command is not None else "objective.program"
    value = spec.objective.command if spec.objective.command is not None else spec.objective.program
    cwd = workdir(_sample_task(spec))
    words = skip_env(argv)
    if not words:
        raise ValueError(f"{key} = {value!r}: names no program")
    program = words[0]
    where = cwd if cwd == project_dir() else f"{cwd} or {project_dir()}"
    if "/" in program:
        if not (cwd / program).is_file():
            raise ValueError(f"{key} = {value!r}: program {program!r} is not a file in {where}")
    elif shutil.which(program) is None:
        if must_find:
            raise ValueError(f"{key} = {value!r}: program {program!r} is not on PATH")
        return (
            f"program {program!r} is not on PATH here; the trials' own environment must provide it"
        )
    script = python_script(words)
    if script is not None and not (cwd / script).is_file():
        raise ValueError(f"{key} = {value!r}: script {script!r} is not a file in {where}")
    return None


def _sample_task(spec: SweepSpec) -> TrialTask:
    """A task with placeholder parameters, to expand the command as a trial would."""
    params = {name: f"<{name}>" for name in spec.space}
    return TrialTask(
        spec, trial_id=0, number=0, slot=0, attempt=0, params=params, seed=0, checkpoint_dir=""
    )
