"""A test-only run strategy: the trial runs in a thread of its controller's process, with no
job and no executor. It is all a new strategy needs: this module, and one registration line."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import optuna

from sweeps.job.runner import run_trial
from sweeps.job.task import TrialOutcome, TrialTask
from sweeps.run.strategies import Running, Strategy
from sweeps.spec import SweepSpec


@dataclass
class InlineRun:
    """The trial's thread; its outcome once it has ended."""

    task: TrialTask
    outcome: list[TrialOutcome] = field(default_factory=list)
    thread: threading.Thread | None = None

    def begin(self) -> InlineRun:
        self.thread = threading.Thread(target=lambda: self.outcome.append(run_trial(self.task)))
        self.thread.start()
        return self

    @property
    def where(self) -> str:
        return "a thread of its controller"

    def wait(self, stop: threading.Event | None) -> TrialOutcome:
        assert self.thread is not None
        while self.thread.is_alive():
            if stop is not None and stop.wait(0.05):
                raise KeyboardInterrupt
            self.thread.join(0.05)
        return self.outcome[0]

    def cancel(self) -> str:
        return "nothing to cancel (the thread ends with its trial)"

    def keep(self) -> str:
        return "the thread goes on"


class InlineStrategy(Strategy):
    """``dispatch.mode: inline``."""

    name = "inline"

    def start(
        self, spec: SweepSpec, study: optuna.Study, trial: optuna.Trial, task: TrialTask
    ) -> Running:
        return InlineRun(task).begin()
