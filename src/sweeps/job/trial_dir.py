"""Where a command objective runs and writes: the trial's own directory and the project's.

Every trial gets a directory of its own, ``results/<study>/trial-runs/<number>/``
(``{trial_dir}``, ``$SWEEPS_TRIAL_DIR``), beside its log. The command runs in the project
directory (where Snakemake runs the sweep: the trial job's working directory) unless
``objective.cwd`` names another, e.g. ``"{trial_dir}"``. A relative program (``./run.sh``) or
``python SCRIPT`` that is not a file in the command's directory is taken from the project
directory, so ``python train.py`` runs the project's script wherever the command runs.
"""

from __future__ import annotations

import os
from pathlib import Path

from sweeps.job.task import TrialTask
from sweeps.spec.command import expand_path
from sweeps.spec.paths import SweepPaths

TRIAL_DIR_VAR = "SWEEPS_TRIAL_DIR"


def project_dir() -> Path:
    """The project directory: where the sweep (and so the trial job) runs."""
    return Path.cwd()


def trial_dir(task: TrialTask) -> Path:
    """The trial's own directory (absolute)."""
    return project_dir() / SweepPaths.of(task.spec).trial_run(task.number)


def trial_placeholders(task: TrialTask) -> dict[str, str]:
    """``{trial_dir}``, ``{trial_number}``, ``{slot}`` and ``{project_dir}``."""
    return {
        "trial_dir": str(trial_dir(task)),
        "trial_number": str(task.number),
        "slot": str(task.slot),
        "project_dir": str(project_dir()),
    }


def command_cwd(task: TrialTask) -> Path:
    """Where the command runs: ``objective.cwd`` (relative to the project), else the project."""
    cwd = task.spec.objective.cwd
    return Path(expand_path(cwd, trial_placeholders(task)) if cwd else ".").resolve()


def metrics_path(task: TrialTask) -> Path | None:
    """``objective.metrics_file``, relative to the command's directory."""
    name = task.spec.objective.metrics_file
    return command_cwd(task) / expand_path(name, trial_placeholders(task)) if name else None


def make_trial_dirs(task: TrialTask) -> None:
    """Create the trial's directory, and the command's when it lies inside it."""
    own = trial_dir(task)
    own.mkdir(parents=True, exist_ok=True)
    cwd = command_cwd(task)
    if cwd.is_relative_to(own):
        cwd.mkdir(parents=True, exist_ok=True)


def from_project(argv: list[str], cwd: Path) -> list[str]:
    """``argv`` with its relative program and Python script taken from the project directory
    where they are not files in ``cwd``."""
    project = project_dir()
    words = skip_env(argv)
    head = argv[: len(argv) - len(words)]
    if not words or cwd == project:
        return list(argv)
    if "/" in words[0]:
        words[0] = _found(words[0], cwd, project)
    script = python_script(words)
    if script is not None:
        at = words.index(script, 1)
        words[at] = _found(script, cwd, project)
    return [*head, *words]


def _found(path: str, cwd: Path, project: Path) -> str:
    if Path(path).is_absolute() or (cwd / path).exists() or not (project / path).exists():
        return path
    return str(project / path)


def skip_env(argv: list[str]) -> list[str]:
    """The words after ``/usr/bin/env`` and its ``NAME=value`` assignments."""
    words = list(argv)
    if words and os.path.basename(words[0]) == "env":
        words = words[1:]
        while words and "=" in words[0] and not words[0].startswith("-"):
            words = words[1:]
    return words


def python_script(words: list[str]) -> str | None:
    """The script file a ``python [options] SCRIPT`` command runs (None for ``-m``, ``-c``)."""
    if not Path(words[0]).name.startswith("python"):
        return None
    for word in words[1:]:
        if word in ("-m", "-c", "-"):
            return None
        if not word.startswith("-"):
            return word
    return None
