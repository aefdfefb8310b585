"""Every use of submitit beyond its documented API, in one module.

submitit renders the sbatch script only while submitting (:func:`sbatch_script` shows it
without submitting), keeps a job's result in a pickle the controller reads itself (to tell a
finished job from one whose result arrives late on a shared file system), and raises its job
errors from ``submitit.core.utils``. ``tests/run/executors/test_submitit_internals.py`` checks these
against the installed submitit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from submitit.core.utils import FailedJobError, JobPaths, UncompletedJobError, pickle_load
from submitit.slurm.slurm import _make_sbatch_string

CHECKED_WITH = "1.5.4"  # the submitit release these internals were last checked against
SUBMIT_MODULE = "submitit.core._submit"  # what a submitit job runs: python -m SUBMIT_MODULE DIR

__all__ = [
    "CHECKED_WITH",
    "SUBMIT_MODULE",
    "FailedJobError",
    "UncompletedJobError",
    "read_result",
    "sbatch_script",
    "timed_out",
]


def sbatch_script(command: str, folder: Path, parameters: dict[str, Any]) -> str:
    """The sbatch script submitit writes for ``command`` with ``parameters``."""
    script: str = _make_sbatch_string(command=command, folder=folder, **parameters)
    return script


def read_result(path: Path) -> tuple[str, Any]:
    """A job's result pickle: ``("success", value)`` or ``("error", traceback text)``."""
    kind, value = pickle_load(path)
    return str(kind), value


# What submitit's job-side signal handler raises when a job that cannot be requeued reaches the
# warning before its time limit.
_TIMED_OUT = "Job not requeued because: timed-out"


def other_task_results(job: Any) -> list[Path]:
    """The result pickles of a multi-task job's tasks 1, 2, ... that exist (task 0's is
    ``job.paths.result_pickle``)."""
    paths = []
    for task in range(1, 1 << 16):
        path = JobPaths(job.paths.folder, job_id=job.job_id, task_id=task).result_pickle
        if not path.exists():
            break
        paths.append(path)
    return paths


def timed_out(reason: str) -> bool:
    """Whether a job's failure ``reason`` is submitit stopping it at its time limit."""
    return _TIMED_OUT in reason
