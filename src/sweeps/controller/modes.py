"""Dispatch modes: how a slot's controller gets its trial run, looked up once by name.

``job`` submits each attempt as its own job through the sweep's executor backend; ``warm``
publishes it for the sweep's warm workers. Both hand the controller a :class:`Running` attempt
to wait for or stop. Adding a mode is one class here and one line in :data:`MODES`.
"""

from __future__ import annotations

import contextlib
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

import optuna
from optuna.trial import FrozenTrial

from sweeps.dispatch import (
    JobHandle,
    announce_trial,
    backend_for,
    reattach,
    submit_trial,
    withdraw_trial,
)
from sweeps.job.objective_check import check_objective
from sweeps.job.task import TrialOutcome, TrialTask
from sweeps.spec import SweepSpec
from sweeps.storage.attrs import set_trial_attrs
from sweeps.storage.optuna_internals import storage_of, trial_id_of
from sweeps.study.artifacts import attach_job_logs
from sweeps.study.keys import Attr, Key
from sweeps.warm.lanes import lane_bindings
from sweeps.warm.pool import WorkerPool
from sweeps.warm.publish import await_outcome, lane_alive, publish_trial


class Running(Protocol):
    """A trial attempt out of the controller's hands: wait for it, or stop it."""

    @property
    def where(self) -> str:
        """For the console: "job 42", "its trial on the warm workers"."""
        ...

    def wait(self, stop: threading.Event | None) -> TrialOutcome: ...

    def cancel(self) -> str:
        """Stop the attempt's work; say what was done."""
        ...

    def keep(self) -> str:
        """Leave the attempt's work running for a re-run to re-attach; say so."""
        ...


class DispatchMode:
    """How a slot's controller gets its trial run."""

    name: ClassVar[str]

    def check(self, spec: SweepSpec) -> None:
        """Raise ``ValueError`` naming the setting when ``spec`` cannot run in this mode."""

    def announce(self, spec: SweepSpec) -> AbstractContextManager[None]:
        """Context around a slot that may start an attempt soon."""
        return contextlib.nullcontext()

    def withdraw(self) -> None:
        """This slot will not start an attempt after all."""

    def before_study(self, spec: SweepSpec) -> list[str]:
        """Start what the first trials need before the study is prepared (so its start-up
        overlaps); return the ids of what was started."""
        return []

    def undo_before_study(self, spec: SweepSpec) -> None:
        """Stop what :meth:`before_study` started: the study could not be prepared."""

    def start(
        self, spec: SweepSpec, study: optuna.Study, trial: optuna.Trial, task: TrialTask
    ) -> Running:
        raise NotImplementedError

    def reattach(self, spec: SweepSpec, study: optuna.Study, trial: FrozenTrial) -> Running | None:
        """The attempt an earlier controller of the slot left running, if it can be found."""
        return None

    def still_running(self, spec: SweepSpec, trial: FrozenTrial) -> bool:
        """Whether a RUNNING trial's work goes on without its controller."""
        return False

    def study_clients(self, spec: SweepSpec, in_flight: int) -> int:
        """How many processes besides the controllers use the study with ``in_flight``
        trials in flight: one trial job each."""
        return in_flight


@dataclass
class JobRun:
    """An attempt running as its own job."""

    handle: JobHandle
    study: optuna.Study
    trial: optuna.Trial

    @property
    def where(self) -> str:
        return f"job {self.handle.job_id}"

    def wait(self, stop: threading.Event | None) -> TrialOutcome:
        self.handle.wait(stop)
        outcome = self.handle.outcome()
        attach_job_logs(self.handle.spec, self.study, self.trial, self.handle)
        return outcome

    def cancel(self) -> str:
        self.handle.cancel()
        return f"cancelled job {self.handle.job_id}"

    def keep(self) -> str:
        return f"job {self.handle.job_id} left running (on_interrupt: keep)"


class JobMode(DispatchMode):
    """One job per trial attempt (trials that start together may share a job array)."""

    name = "job"

    def announce(self, spec: SweepSpec) -> AbstractContextManager[None]:
        return announce_trial(backend_for(spec), spec)

    def withdraw(self) -> None:
        withdraw_trial()

    def start(
        self, spec: SweepSpec, study: optuna.Study, trial: optuna.Trial, task: TrialTask
    ) -> Running:
        handle = submit_trial(spec, task)
        set_trial_attrs(
            storage_of(study),
            trial_id_of(trial),
            user={
                Attr.EXECUTOR: spec.dispatch.executor,
                Attr.JOB_ID: handle.job_id,
                Attr.SEED: task.seed,
            },
            system={Key.JOB_ID: handle.job_id},
        )
        return JobRun(handle, study, trial)

    def reattach(self, spec: SweepSpec, study: optuna.Study, trial: FrozenTrial) -> Running | None:
        handle = reattach(spec, str(trial.system_attrs.get(Key.JOB_ID, "")))
        if handle is None:
            return None
        return JobRun(handle, study, optuna.Trial(study, trial_id_of(trial)))

    def still_running(self, spec: SweepSpec, trial: FrozenTrial) -> bool:
        job_id = str(trial.system_attrs.get(Key.JOB_ID, ""))
        return bool(job_id) and backend_for(spec).still_running(job_id)


@dataclass
class WarmRun:
    """An attempt published for the sweep's warm workers."""

    spec: SweepSpec
    study: optuna.Study
    trial_id: int
    pool: WorkerPool

    @property
    def where(self) -> str:
        return "its trial on the warm workers"

    def wait(self, stop: threading.Event | None) -> TrialOutcome:
        return await_outcome(self.spec, self.study, self.trial_id, self.pool, stop)

    def cancel(self) -> str:
        cancelled = self.pool.cancel()
        if cancelled:
            return f"cancelled warm worker jobs {', '.join(sorted(cancelled))}"
        return "asked the warm workers to stop"

    def keep(self) -> str:
        return "warm workers left running (on_interrupt: keep)"


class WarmMode(DispatchMode):
    """Trials run one after another in the lanes of a few long-lived worker jobs."""

    name = "warm"

    def check(self, spec: SweepSpec) -> None:
        lane_bindings(spec)  # refuses trials of several GPUs or nodes

    def before_study(self, spec: SweepSpec) -> list[str]:
        return WorkerPool(spec).provide(lambda: min(spec.parallelism, spec.budget.n_trials))

    def undo_before_study(self, spec: SweepSpec) -> None:
        WorkerPool(spec).cancel()

    def start(
        self, spec: SweepSpec, study: optuna.Study, trial: optuna.Trial, task: TrialTask
    ) -> Running:
        pool = WorkerPool(spec)
        publish_trial(spec, study, trial, task, pool)
        return WarmRun(spec, study, trial_id_of(trial), pool)

    def reattach(self, spec: SweepSpec, study: optuna.Study, trial: FrozenTrial) -> Running | None:
        return WarmRun(spec, study, trial_id_of(trial), WorkerPool(spec))

    def still_running(self, spec: SweepSpec, trial: FrozenTrial) -> bool:
        return lane_alive(spec, trial.system_attrs.get(Key.LANE_HEARTBEAT))

    def study_clients(self, spec: SweepSpec, in_flight: int) -> int:
        """Every lane of every worker job."""
        warm = spec.dispatch.warm
        gpus = warm.gpus_per_worker if warm.gpus_per_worker is not None else spec.resources.gpus
        return warm.workers * max(gpus, 1) * warm.trials_per_gpu


MODES: dict[str, DispatchMode] = {mode.name: mode for mode in (JobMode(), WarmMode())}


def mode_for(spec: SweepSpec) -> DispatchMode:
    """The dispatch mode ``spec`` asks for (``dispatch.mode``)."""
    return MODES[spec.dispatch.mode]


class DispatchConfigError(ValueError):
    """The sweep cannot be dispatched as its file says (raised before anything is submitted)."""


def check_dispatch(
    spec: SweepSpec, source: str | Path | None = None, site_checks: bool = True
) -> str | None:
    """Raise ``ValueError`` naming the file (``source``), setting and value when the sweep
    cannot be dispatched: an unknown executor, a mode that refuses its settings, an objective
    that cannot be imported where its trials run or cannot take its fixed arguments and, with
    ``site_checks``, settings the backend refuses here (a missing Slurm account, say).
    Called before anything is submitted. Returns a note to print when the objective could not
    be checked here (it lives only in the trials' environment)."""
    try:
        backend = backend_for(spec)
        if site_checks:
            backend.check(spec)
        mode_for(spec).check(spec)
        note = check_objective(spec, must_import=backend.runs_on_submit_host)
    except ValueError as err:
        if source is None:
            raise
        raise DispatchConfigError(f"{source}: {err}") from None
    return note
