"""The controller of a trial slot (one Snakemake job): ask, dispatch, wait, tell, receipt.

The controller is the only writer of a trial's final state. It runs on the submit host (a
laptop or a login node) and needs neither torch nor a GPU.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import FrozenTrial, TrialState

from sweeps.controller.budget import BudgetSpent, cancel_reason, end_slot, refuse_if_spent
from sweeps.controller.interrupt import STOP, sigterm_as_interrupt
from sweeps.controller.receipts import Receipt, write_receipt
from sweeps.controller.stopped import Attempt, stops_cleanly
from sweeps.controller.streak import (
    StopWatch,
    SweepStopped,
    check_streak,
    refuse_if_stopped,
    stopped_line,
)
from sweeps.controller.tracking import track_trial
from sweeps.job.staging import data_identity
from sweeps.job.task import TrialOutcome, TrialTask
from sweeps.run.strategies import Running, Strategy, strategy_for
from sweeps.spec import SweepSpec
from sweeps.spec.paths import SweepPaths
from sweeps.spec.seeds import derive_seed
from sweeps.spec.space import missing_params, suggest_all
from sweeps.storage.attrs import set_trial_attrs
from sweeps.storage.optuna_internals import storage_of, trial_id_of
from sweeps.study import load_study
from sweeps.study.batches import claim_asked_trial, require_batch
from sweeps.study.claims import slot_claim
from sweeps.study.heartbeat import Heartbeat
from sweeps.study.keys import Attr, Key, flatten_facts
from sweeps.study.replay import replay_template
from sweeps.study.slots import (
    SlotPlan,
    controller_attrs,
    create_slot_trial,
    fail_retryable,
    plan_slot,
    slot_trials,
    uncounted,
)
from sweeps.study.spending import Spending, has_budgets
from sweeps.study.stale import controller_alive, fail_stale_trials

USER_ATTR_LIMIT = 16_000


def run_slot(spec: SweepSpec, slot: int, receipt_path: Path, force: bool = False) -> Receipt:
    """Bring slot ``slot`` to a final trial and write its receipt."""
    if not 0 <= slot < spec.budget.n_trials:
        raise ValueError(f"slot {slot} is outside the budget (n_trials={spec.budget.n_trials})")
    strategy = strategy_for(spec)
    with strategy.announce(spec):  # e.g. controllers starting together submit one job array
        return _run_slot(spec, strategy, slot, receipt_path, force)


def _run_slot(
    spec: SweepSpec, strategy: Strategy, slot: int, receipt_path: Path, force: bool
) -> Receipt:
    study = load_study(spec, force=force, stream=slot)
    if has_budgets(spec):  # a study made before running totals is read in full once
        Spending.of(study, spec.storage_url).ensure()
    fail_stale_trials(
        study, still_running=lambda t: strategy.still_running(spec, t), url=spec.storage_url
    )
    try:
        return _attempts(spec, strategy, study, slot, receipt_path, force)
    except BudgetSpent as spent:  # no new trial starts, or its trial was cancelled
        return end_slot(spec, study, slot, spent, receipt_path)


def _attempts(
    spec: SweepSpec,
    strategy: Strategy,
    study: optuna.Study,
    slot: int,
    receipt_path: Path,
    force: bool,
) -> Receipt:
    while True:
        try:
            plan, trial = _claim(spec, study, slot)
        except BudgetSpent:
            strategy.withdraw()
            raise
        if plan.action == "done":
            assert plan.trial is not None
            strategy.withdraw()
            receipt = Receipt.from_trial(spec.study, slot, plan.trial)
            write_receipt(receipt, receipt_path)
            return receipt
        if trial is None:  # another run's controller works on the slot's trial
            assert plan.trial is not None
            strategy.withdraw()
            _follow(spec, study, slot, plan.trial)
            continue
        attempt = Attempt(trial)
        with stops_cleanly(spec, strategy, study, attempt):
            if plan.action == "running":  # taken over from a controller that went silent
                assert plan.trial is not None
                attempt.running = strategy.reattach(spec, study, plan.trial)
                if attempt.running is None:
                    why = "its controller died before the trial ended"
                    fail_retryable(storage_of(study), trial_id_of(plan.trial), why)
                    continue
                strategy.withdraw()
                _notice(f"slot {slot} re-attaches to {attempt.running.where}")
            else:
                task = trial_task(spec, trial, slot, plan.attempt)
                attempt.running = strategy.start(spec, study, trial, task)
            outcome = _await(spec, strategy, study, trial, attempt.running)
            return _conclude(spec, study, slot, trial, outcome, plan.attempt, receipt_path, force)


def _claim(spec: SweepSpec, study: optuna.Study, slot: int) -> tuple[SlotPlan, optuna.Trial | None]:
    """Under the slot's claim: the slot's plan, and the trial this controller now owns (a new
    attempt, or a RUNNING one whose controller went silent); None when the slot is done or a
    live controller (of another run) works on its trial."""
    with slot_claim(spec.storage_url, spec.study, slot):
        attrs = study.user_attrs  # read once: the stop, and the failures it freed
        plan = plan_slot(slot_trials(study, slot), spec.budget.max_retries, uncounted(attrs))
        if plan.action == "done":
            return plan, None
        if plan.action == "running":
            assert plan.trial is not None
            if controller_alive(plan.trial):
                return plan, None
            trial_id = trial_id_of(plan.trial)
            try:  # from now on other controllers see this one as the trial's live controller
                set_trial_attrs(storage_of(study), trial_id, {}, controller_attrs())
            except UpdateFinishedTrialError:
                return plan, None  # it ended meanwhile: the next plan says so
            return plan, optuna.Trial(study, trial_id)
        refuse_if_stopped(attrs)  # this run stopped on same-cause failures: start nothing
        refuse_if_spent(spec, study)  # a budget is spent: start nothing
        return plan, _start_trial(spec, study, slot, plan)


def _follow(spec: SweepSpec, study: optuna.Study, slot: int, trial: FrozenTrial) -> None:
    """Wait while another controller works on the slot's trial: until the trial ends or that
    controller stops sending heartbeats (then this one takes the trial over)."""
    _notice(f"slot {slot}: trial {trial.number} is run by another controller; waiting for it")
    storage, trial_id = storage_of(study), trial_id_of(trial)
    interval = min(max(spec.dispatch.poll_interval_s, 0.2), 5.0)
    while not STOP.wait(interval):
        current = storage.get_trial(trial_id)
        if current.state.is_finished() or not controller_alive(current):
            return
    raise KeyboardInterrupt


def _start_trial(spec: SweepSpec, study: optuna.Study, slot: int, plan: SlotPlan) -> optuna.Trial:
    """The slot's next trial: asked ahead by its batch, a retry, a replay, or newly sampled."""
    if plan.action == "new" and plan.trial is not None:  # asked ahead by its batch
        return claim_asked_trial(study, plan.trial)
    previous = plan.trial if plan.action == "retry" else None
    if previous is None or missing_params(spec, previous.params):
        previous = replay_template(spec, slot)  # a lost attempt whose sampling never finished
    if previous is None:
        require_batch(spec, slot)
    trial = create_slot_trial(study, slot, plan.attempt, params=previous)
    if previous is None:
        try:
            suggest_all(trial, spec)
        except BaseException as err:  # no trial is left RUNNING, or retried, without its params
            why = f"its sampling did not finish: {type(err).__name__}: {err}"
            fail_retryable(storage_of(study), trial_id_of(trial), why)
            raise
    return trial


def trial_task(spec: SweepSpec, trial: optuna.Trial, slot: int, attempt: int) -> TrialTask:
    """What the job runs for ``trial`` (slot ``slot``, attempt ``attempt``)."""
    paths = SweepPaths.of(spec)
    return TrialTask(
        spec=spec,
        trial_id=trial_id_of(trial),
        number=trial.number,
        slot=slot,
        attempt=attempt,
        params=dict(trial.params),
        seed=derive_seed(spec.seed, trial.number),
        checkpoint_dir=str(paths.checkpoints(slot)),
        log_path=str(paths.trial_log(trial.number)),
        trials_per_gpu=strategy_for(spec).trials_per_gpu(spec),
        data_identity=data_identity(spec),
    )


def _await(
    spec: SweepSpec,
    strategy: Strategy,
    study: optuna.Study,
    trial: optuna.Trial,
    running: Running,
) -> TrialOutcome:
    """Wait for the attempt while beating the trial's heartbeat; stop it on an interrupt,
    once this run stopped on same-cause failures, or once a budget is spent (``on_exhausted:
    cancel``)."""
    with (
        Heartbeat(storage_of(study), trial_id_of(trial)),
        StopWatch(study, spent=lambda: cancel_reason(spec, study)) as watch,
        _on_interrupt(spec, strategy, study, trial, running, watch),
    ):
        return running.wait(watch.event)


@contextlib.contextmanager
def _on_interrupt(
    spec: SweepSpec,
    strategy: Strategy,
    study: optuna.Study,
    trial: optuna.Trial,
    running: Running,
    watch: StopWatch,
) -> Iterator[None]:
    """An interrupted controller stops its attempt's work and fails its trial (retryable),
    unless the sweep keeps jobs on interrupt (``dispatch.slurm.on_interrupt: keep``): a re-run
    then re-attaches to them. A run stopped on same-cause failures always stops the work."""
    try:
        with sigterm_as_interrupt():
            yield
    except KeyboardInterrupt:
        if watch.spent is not None:
            done = running.cancel()
            why = f"cancelled: budget {watch.spent.name} spent (on_exhausted: cancel); {done}"
            fail_retryable(storage_of(study), trial_id_of(trial), why)
            _notice(f"trial {trial.number} {why}, marked for a retry")
            raise BudgetSpent(watch.spent) from None
        if watch.stopped is not None:
            done = running.cancel()
            why = "cancelled: the sweep stopped on same-cause failures"
            fail_retryable(storage_of(study), trial_id_of(trial), f"{why}; {done}")
            raise SweepStopped(
                stopped_line(f"trial {trial.number} cancelled ({done}), marked for a retry")
            ) from None
        if strategy.keeps_work_on_interrupt(spec):
            _notice(f"trial {trial.number} interrupted; {running.keep()}")
            raise
        done = running.cancel()
        why = f"interrupted: the sweep was stopped; {done}"
        fail_retryable(storage_of(study), trial_id_of(trial), why)
        _notice(f"trial {trial.number} interrupted; {done}")
        raise


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
    """Tell the outcome and send the trial to the sweep's trackers; retry a lost attempt
    within the budget, else write the receipt."""
    frozen = tell_outcome(study, trial, outcome, spec.storage_url)
    track_trial(spec, frozen)  # a tracker that fails warns once; the trial stays as told
    if outcome.retryable and attempt < spec.budget.max_retries:
        return run_slot(spec, slot, receipt_path, force)
    receipt = Receipt.from_trial(spec.study, slot, frozen)
    write_receipt(receipt, receipt_path)
    check_streak(spec, study, frozen)  # the trial is kept, whether or not the run stops
    return receipt


def tell_outcome(
    study: optuna.Study, trial: optuna.Trial, outcome: TrialOutcome, url: str | None = None
) -> FrozenTrial:
    """Record the attempt's facts and reason on the trial and add its figures to the study's
    running totals (under the storage mutex named by ``url``, the sweep's storage setting;
    without it, only this process's threads are serialised), then tell its final state."""
    user = flatten_facts(outcome.facts)
    if outcome.reason:
        user[Attr.FAIL_REASON if outcome.state == "fail" else Attr.REASON] = outcome.reason
    if outcome.traceback:
        user[Attr.TRACEBACK] = outcome.traceback[-USER_ATTR_LIMIT:]
    system: dict[str, Any] = {Key.RETRYABLE: True} if outcome.retryable else {}
    spending = Spending.of(study, url)
    with spending.held():  # recorded and added in one hold: a recount sees both or neither
        set_trial_attrs(storage_of(study), trial_id_of(trial), user, system)
        spending.add(user)
    if outcome.state == "complete":
        return study.tell(trial, outcome.values)
    state = TrialState.PRUNED if outcome.state == "pruned" else TrialState.FAIL
    return study.tell(trial, state=state)


def _notice(line: str) -> None:
    """A line for the terminal running the sweep."""
    print(f"sweeps: {line}", file=sys.stderr, flush=True)
