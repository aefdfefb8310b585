"""The controller side of a trial slot (one Snakemake job): ask, dispatch, wait, tell, receipt.

The controller is the only writer of a trial's final state. It runs on the submit host (a
laptop or a login node) and needs neither torch nor a GPU.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from sweeps.dispatch import (
    JobHandle,
    announce_trial,
    collect_outcome,
    reattach,
    still_running,
    submit_trial,
    withdraw_trial,
)
from sweeps.spec import SweepSpec
from sweeps.spec.seeds import derive_seed
from sweeps.spec.space import suggest_all
from sweeps.storage.attrs import set_trial_attrs
from sweeps.study import load_study
from sweeps.study.artifacts import attach_job_logs
from sweeps.study.batches import claim, require_batch
from sweeps.study.replay import replay_template
from sweeps.study.slots import (
    JOB_ID,
    RETRYABLE,
    SlotPlan,
    create_slot_trial,
    fail_retryable,
    plan_slot,
    slot_trials,
)
from sweeps.study.stale import Heartbeat, fail_stale_trials
from sweeps.trial.interrupt import STOP
from sweeps.trial.paths import checkpoint_dir, trial_log_path
from sweeps.trial.receipt import Receipt, write_receipt
from sweeps.trial.task import TrialOutcome, TrialTask

USER_ATTR_LIMIT = 16_000


def run_slot(spec: SweepSpec, slot: int, receipt_path: Path, force: bool = False) -> Receipt:
    """Bring slot ``slot`` to a final trial and write its receipt."""
    if not 0 <= slot < spec.budget.n_trials:
        raise ValueError(f"slot {slot} is outside the budget (n_trials={spec.budget.n_trials})")
    with announce_trial(spec):  # controllers starting together submit one job array
        return _run_slot(spec, slot, receipt_path, force)


def _run_slot(spec: SweepSpec, slot: int, receipt_path: Path, force: bool) -> Receipt:
    study = load_study(spec, force=force, stream=slot)
    fail_stale_trials(study, still_running=lambda trial: still_running(spec, trial))
    plan = plan_slot(slot_trials(study, slot), spec.budget.max_retries)
    if plan.action == "running" and spec.dispatch.mode == "warm":
        assert plan.trial is not None
        print(f"sweeps: slot {slot} re-attaches to its trial on the warm workers", file=sys.stderr)
        from sweeps.dispatch.warm import reattach_warm

        trial = optuna.Trial(study, plan.trial._trial_id)
        with Heartbeat(study._storage, trial._trial_id):
            outcome = reattach_warm(spec, study, trial)
        return _conclude(spec, study, slot, trial, outcome, plan.attempt, receipt_path, force)
    if plan.action == "running":
        assert plan.trial is not None
        job = reattach(spec, str(plan.trial.system_attrs.get(JOB_ID, "")))
        if job is not None:  # its job may still run (or have ended) without a controller
            withdraw_trial()
            print(f"sweeps: slot {slot} re-attaches to job {job.job_id}", file=sys.stderr)
            trial = optuna.Trial(study, plan.trial._trial_id)
            with Heartbeat(study._storage, trial._trial_id):
                outcome = _wait(spec, study, trial, job)
            return _conclude(spec, study, slot, trial, outcome, plan.attempt, receipt_path, force)
        fail_retryable(
            study._storage, plan.trial._trial_id, "its controller died before the trial ended"
        )
        plan = plan_slot(slot_trials(study, slot), spec.budget.max_retries)
    if plan.action == "done":
        assert plan.trial is not None
        withdraw_trial()
        receipt = Receipt.from_trial(spec.study, slot, plan.trial)
        write_receipt(receipt, receipt_path)
        return receipt
    trial = _start_trial(spec, study, slot, plan)
    with Heartbeat(study._storage, trial._trial_id):
        outcome = _dispatch(spec, study, trial, slot, plan.attempt)
    return _conclude(spec, study, slot, trial, outcome, plan.attempt, receipt_path, force)


def _start_trial(spec: SweepSpec, study: optuna.Study, slot: int, plan: SlotPlan) -> optuna.Trial:
    """The slot's next trial: asked ahead by its batch, a retry, a replay, or newly sampled."""
    if plan.action == "new" and plan.trial is not None:  # asked ahead by its batch
        return claim(study, plan.trial)
    previous = plan.trial if plan.action == "retry" else replay_template(spec, slot)
    if previous is None:
        require_batch(spec, slot)
    trial = create_slot_trial(study, slot, plan.attempt, params=previous)
    if previous is None:
        suggest_all(trial, spec)
    return trial


def _conclude(
    spec: SweepSpec,
    study: optuna.Study,
    slot: int,
    trial: optuna.Trial,
    outcome: TrialOutcome,
    attempt: int,
    receipt_path: Path,
    force: bool,
) -> Receipt:
    """Tell the outcome; retry a lost attempt within the budget, else write the receipt."""
    frozen = _tell(study, trial, outcome)
    if outcome.retryable and attempt < spec.budget.max_retries:
        return run_slot(spec, slot, receipt_path, force)
    receipt = Receipt.from_trial(spec.study, slot, frozen)
    write_receipt(receipt, receipt_path)
    return receipt


def trial_task(spec: SweepSpec, trial: optuna.Trial, slot: int, attempt: int) -> TrialTask:
    """What the job runs for ``trial`` (slot ``slot``, attempt ``attempt``)."""
    return TrialTask(
        spec=spec,
        trial_id=trial._trial_id,
        number=trial.number,
        slot=slot,
        attempt=attempt,
        params=dict(trial.params),
        seed=derive_seed(spec.seed, trial.number),
        checkpoint_dir=str(checkpoint_dir(spec, slot)),
        log_path=str(trial_log_path(spec, trial.number)),
    )


def _dispatch(
    spec: SweepSpec, study: optuna.Study, trial: optuna.Trial, slot: int, attempt: int
) -> TrialOutcome:
    task = trial_task(spec, trial, slot, attempt)
    if spec.dispatch.mode == "warm":
        from sweeps.dispatch.warm import dispatch_warm

        return dispatch_warm(spec, study, trial, task)
    job = submit_trial(spec, task)
    set_trial_attrs(
        study._storage,
        trial._trial_id,
        user={"executor": spec.dispatch.executor, "job_id": job.job_id, "seed": task.seed},
        system={JOB_ID: job.job_id},
    )
    return _wait(spec, study, trial, job)


def _wait(
    spec: SweepSpec, study: optuna.Study, trial: optuna.Trial, job: JobHandle
) -> TrialOutcome:
    keep = spec.dispatch.executor == "slurm" and spec.dispatch.slurm.on_interrupt == "keep"
    with _cancel_on_interrupt(study, trial, job, keep):
        job.wait(spec.dispatch.poll_interval_s, stop=STOP)
    outcome = collect_outcome(job)
    attach_job_logs(spec, study, trial, job)
    return outcome


def _tell(study: optuna.Study, trial: optuna.Trial, outcome: TrialOutcome) -> FrozenTrial:
    user = _flatten(outcome.facts)
    if outcome.reason:
        user["fail_reason" if outcome.state == "fail" else "reason"] = outcome.reason
    if outcome.traceback:
        user["traceback"] = outcome.traceback[-USER_ATTR_LIMIT:]
    system = {RETRYABLE: True} if outcome.retryable else {}
    set_trial_attrs(study._storage, trial._trial_id, user, system)
    if outcome.state == "complete":
        return study.tell(trial, outcome.values)
    state = TrialState.PRUNED if outcome.state == "pruned" else TrialState.FAIL
    return study.tell(trial, state=state)


def _flatten(facts: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in facts.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


class _cancel_on_interrupt:
    """Cancel the job and fail the trial (retryable) when the controller is interrupted."""

    def __init__(
        self, study: optuna.Study, trial: optuna.Trial, job: JobHandle, keep: bool = False
    ) -> None:
        self.study, self.trial, self.job, self.keep = study, trial, job, keep
        self._previous: Any = None

    def __enter__(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._raise)

    def _raise(self, signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    def __exit__(self, kind: type[BaseException] | None, *rest: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)
        if kind is KeyboardInterrupt and self.keep:  # on_interrupt: keep; a re-run re-attaches
            print(
                f"sweeps: trial {self.trial.number} interrupted; "
                f"job {self.job.job_id} left running (on_interrupt: keep)",
                file=sys.stderr,
                flush=True,
            )
        elif kind is KeyboardInterrupt:
            self.job.job.cancel(check=False)
            fail_retryable(
                self.study._storage,
                self.trial._trial_id,
                "interrupted: the sweep was stopped; its job was cancelled",
            )
            print(
                f"sweeps: trial {self.trial.number} interrupted; cancelled job {self.job.job_id}",
                file=sys.stderr,
                flush=True,
            )
