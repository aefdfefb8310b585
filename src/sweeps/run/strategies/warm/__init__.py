"""Warm workers (``dispatch.mode: warm``), the controller's side: trials run one after another
in the lanes of a few long-lived worker jobs (:mod:`sweeps.worker`). The controller publishes
each trial (:mod:`.publish`), starting worker jobs as needed (:mod:`.pool`), and
awaits the outcome a lane records."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import optuna
from optuna.trial import FrozenTrial, TrialState

from sweeps.job.task import TrialOutcome, TrialTask
from sweeps.run.strategies.base import Running, Strategy
from sweeps.run.strategies.warm.pool import WorkerPool
from sweeps.run.strategies.warm.publish import await_outcome, lane_alive, publish_trial
from sweeps.spec import SweepSpec
from sweeps.storage.optuna_internals import trial_id_of
from sweeps.study.keys import Key
from sweeps.study.spending import has_budgets
from sweeps.worker.lanes import lane_count, lane_layout
from sweeps.worker.queue import spec_key


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


class WarmWorkers(Strategy):
    """Trials run one after another in the lanes of a few long-lived worker jobs."""

    name = "warm"

    def check(self, spec: SweepSpec) -> None:
        lane_layout(spec)  # refuses worker GPUs that do not split into lanes, several nodes

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
        record = trial.system_attrs.get(Key.WARM_TASK)
        if record is None:
            return None  # its controller died before publishing it: no lane has it
        if trial.state == TrialState.WAITING and record.get("key") != spec_key(spec):
            return None  # published under other settings: no worker of this sweep claims it
        pool = WorkerPool(spec)
        pool.retire_unreachable()  # its lane may be on a worker bound to a proxy now gone
        return WarmRun(spec, study, trial_id_of(trial), pool)

    def still_running(self, spec: SweepSpec, trial: FrozenTrial) -> bool:
        return lane_alive(spec, trial)

    def sweep_done(self, spec: SweepSpec) -> None:
        """Ask the workers to exit now: no trial of this run is left, and once ``snakemake``
        ends, a worker bound to its storage proxy could not even read that it is done."""
        WorkerPool(spec).stop()

    def trials_ahead(self, spec: SweepSpec) -> int:
        """``warm.hand_over_ahead``, but none under a cost budget: a trial published ahead
        would start after the budget was spent."""
        return 0 if has_budgets(spec) else spec.dispatch.warm.hand_over_ahead

    def trials_per_gpu(self, spec: SweepSpec) -> int:
        """Lanes pack ``warm.trials_per_gpu`` trials on each GPU."""
        return spec.dispatch.warm.trials_per_gpu

    def study_clients(self, spec: SweepSpec, in_flight: int) -> int:
        """Every lane of every worker job."""
        return spec.dispatch.warm.workers * lane_count(spec)
