"""A job per trial attempt, submitted through the sweep's executor backend (``dispatch.mode:
job``); attempts that start together may share a job array."""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass

import optuna
from optuna.trial import FrozenTrial

from sweeps.job.task import TrialOutcome, TrialTask
from sweeps.run.executors import (
    JobHandle,
    announce_trial,
    backend_for,
    reattach,
    submit_trial,
    withdraw_trial,
)
from sweeps.run.strategies.base import Running, Strategy
from sweeps.spec import SweepSpec
from sweeps.storage.attrs import set_trial_attrs
from sweeps.storage.optuna_internals import storage_of, trial_id_of
from sweeps.study.artifacts import attach_job_logs
from sweeps.study.keys import Attr, Key


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


class JobPerTrial(Strategy):
    """One job per trial attempt."""

    name = "job"

    def check(self, spec: SweepSpec) -> None:
        backend_for(spec).check_job_per_trial(spec)

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
