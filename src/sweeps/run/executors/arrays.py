"""Trial attempts that start together go out as one job array (on Slurm: one ``sbatch``).

Controllers running as threads of one process (the cluster profiles' ``controllers: threads``)
that submit within the backend's array window (``dispatch.slurm.array_window_s``) of each
other are submitted together, as a job array built by submitit's ``executor.batch()``; each
controller gets its own array task (``A_i``). The first controller to submit waits only while
other controllers of its process have announced a trial (:func:`announce_trial`) and not yet
submitted it, until none has joined for the window (at most :data:`MAX_WINDOWS` windows in
all): a controller alone in its process (``controllers: processes``, or a slot started when an
earlier one ended) submits a plain job at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import submitit

from sweeps.job.task import TrialTask
from sweeps.run.executors.base import Backend
from sweeps.spec import SweepSpec

MAX_WINDOWS = 8  # a batch waits at most this many windows for announced controllers


@dataclass
class _Batch:
    """Trial attempts to be submitted together (one array), and what became of them."""

    tasks: list[TrialTask] = field(default_factory=list)
    jobs: list[submitit.Job[Any]] = field(default_factory=list)
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)
    first: float = field(default_factory=time.monotonic)
    last: float = field(default_factory=time.monotonic)


class Coalescer:
    """Gathers the submissions of a process's controllers into job arrays."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._open: dict[str, _Batch] = {}
        self._announced = 0
        self._mine = threading.local()

    @contextmanager
    def announce(self, backend: Backend, spec: SweepSpec) -> Iterator[None]:
        """While inside, this thread may submit a trial of ``spec`` soon: a submission already
        waiting in the window waits for it (up to the window)."""
        if not coalesces(backend, spec) or getattr(self._mine, "announced", False):
            yield
            return
        with self._cond:
            self._announced += 1
            self._mine.announced = True
        try:
            yield
        finally:
            self.withdraw()

    def withdraw(self) -> None:
        """This thread will not submit (any more) in its announcement: stop waiting for it."""
        with self._cond:
            if getattr(self._mine, "announced", False):
                self._mine.announced = False
                self._announced -= 1
                self._cond.notify_all()

    def submit(
        self,
        key: str,
        window: float,
        task: TrialTask,
        submit_all: Callable[[list[TrialTask]], list[submitit.Job[Any]]],
    ) -> submitit.Job[Any]:
        """Submit ``task`` together with the tasks of the same ``key`` that other threads
        submit within ``window`` seconds of each other (``submit_all`` submits a batch)."""
        with self._cond:
            self.withdraw()
            batch = self._open.get(key)
            leader = batch is None
            if batch is None:
                batch = self._open[key] = _Batch()
            index = len(batch.tasks)
            batch.tasks.append(task)
            batch.last = time.monotonic()
            self._cond.notify_all()
            while leader and self._announced > 0:
                deadline = min(batch.last + window, batch.first + MAX_WINDOWS * window)
                if (left := deadline - time.monotonic()) <= 0:
                    break
                self._cond.wait(left)
            if leader:
                del self._open[key]  # later submissions start a new batch
        if leader:
            try:
                batch.jobs = submit_all(batch.tasks)
            except BaseException as err:
                batch.error = err
                raise
            finally:
                batch.done.set()
        batch.done.wait()
        if batch.error is not None:
            raise RuntimeError(
                f"the job array of this trial was not submitted: {batch.error}"
            ) from batch.error
        return batch.jobs[index]


COALESCER = Coalescer()


def announce_trial(backend: Backend, spec: SweepSpec) -> AbstractContextManager[None]:
    """Context: this controller thread may submit a trial of ``spec`` soon."""
    return COALESCER.announce(backend, spec)


def withdraw_trial() -> None:
    """This controller thread will not submit in its current announcement."""
    COALESCER.withdraw()


def submit_batch(
    executor: submitit.Executor, tasks: list[TrialTask], fn: Callable[[TrialTask], Any]
) -> list[submitit.Job[Any]]:
    """Submit ``fn(task)`` for each task: one job array (one plain job for a single task)."""
    with executor.batch():
        jobs = [executor.submit(fn, task) for task in tasks]
    return jobs


def coalesces(backend: Backend, spec: SweepSpec) -> bool:
    """Whether ``spec``'s trial jobs may share job arrays."""
    return backend.array_key(spec) is not None and backend.array_window_s(spec) > 0
