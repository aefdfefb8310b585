"""The run-strategy interface: how a slot's trial gets run, and the attempt it hands back."""

from __future__ import annotations

import contextlib
import threading
from contextlib import AbstractContextManager
from typing import ClassVar, Protocol

import optuna
from optuna.trial import FrozenTrial

from sweeps.job.task import TrialOutcome, TrialTask
from sweeps.run.executors import backend_for
from sweeps.spec import SweepSpec


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


class Strategy:
    """How a slot's controller gets its trial run (``dispatch.mode``)."""

    name: ClassVar[str]

    def check(self, spec: SweepSpec) -> None:
        """Raise ``ValueError`` naming the setting when ``spec`` cannot run this way."""

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

    def keeps_work_on_interrupt(self, spec: SweepSpec) -> bool:
        """Whether an interrupted controller leaves its attempt's work running for a re-run
        to re-attach (the executor decides: ``dispatch.slurm.on_interrupt: keep``)."""
        return backend_for(spec).keeps_jobs_on_interrupt(spec)

    def sweep_done(self, spec: SweepSpec) -> None:
        """Every slot of the sweep has its receipt: let go of what its trials held."""

    def trials_ahead(self, spec: SweepSpec) -> int:
        """How many more trials a lane job may start while it waits for one: their controllers
        run at once, so the next trial is ready when the current one ends."""
        return 0

    def trials_per_gpu(self, spec: SweepSpec) -> int:
        """Trials sharing each GPU of a trial (its jobs': one; handed to the trial as
        :attr:`TrialTask.trials_per_gpu`, which its GPU-hours divide by)."""
        return 1

    def study_clients(self, spec: SweepSpec, in_flight: int) -> int:
        """How many processes besides the controllers use the study with ``in_flight``
        trials in flight: one trial job each."""
        return in_flight
