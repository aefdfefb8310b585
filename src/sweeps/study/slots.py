"""Trial slots: slot ``i`` of ``n_trials`` is one Snakemake job and ends in one final trial.

A slot may hold several Optuna trials when an attempt was lost to the infrastructure (a killed
job, a dead controller); each such attempt is marked retryable, and the slot's newest trial
decides what happens next. A failure the sweep stopped on (the same cause in a row, not the
parameters') is listed in the study as uncounted: its slot runs it again, whatever
``max_retries`` says.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Literal

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial, TrialState

from sweeps.storage.attrs import set_trial_attrs
from sweeps.storage.optuna_internals import storage_of, study_id_of
from sweeps.storage.templates import template_trial
from sweeps.study.controllers import this_controller
from sweeps.study.keys import Attr, Key
from sweeps.study.reads import tagged_trials

Action = Literal["done", "new", "retry", "running"]


@dataclass(frozen=True)
class SlotPlan:
    """What the slot's controller should do, and with which trial."""

    action: Action
    trial: FrozenTrial | None = None
    attempt: int = 0


def slot_trials(study: optuna.Study, slot: int) -> list[FrozenTrial]:
    """The slot's trials, oldest first (queried: the rest of the study is not read)."""
    return tagged_trials(study, Key.SLOT, slot)


def uncounted(user_attrs: dict[str, Any]) -> frozenset[int]:
    """The numbers of the failures a run stopped on (from the study's user attributes)."""
    return frozenset(json.loads(user_attrs.get(Key.UNCOUNTED) or "[]"))


def plan_slot(
    trials: list[FrozenTrial], max_retries: int, not_counted: frozenset[int] = frozenset()
) -> SlotPlan:
    """Decide from a slot's trials whether it is done, running, to retry or new
    (``not_counted``: :func:`uncounted`)."""
    if not trials:
        return SlotPlan("new")
    last = trials[-1]
    attempt = int(last.system_attrs.get(Key.ATTEMPT, 0))
    if last.state == TrialState.RUNNING or (
        last.state == TrialState.WAITING and Key.WARM_TASK in last.system_attrs
    ):  # published for warm workers: in a lane's hands, or about to be
        return SlotPlan("running", last, attempt)
    if last.state == TrialState.FAIL and last.number in not_counted:
        return SlotPlan("retry", last, attempt + 1)  # not its parameters' fault: not counted
    retryable = last.state == TrialState.FAIL and last.system_attrs.get(Key.RETRYABLE)
    if retryable and last.system_attrs.get(Key.NEVER_STARTED):
        return SlotPlan("retry", last, attempt)  # e.g. handed over ahead, then cancelled
    if retryable and attempt < max_retries:
        return SlotPlan("retry", last, attempt + 1)
    if last.state == TrialState.WAITING:
        return SlotPlan("new", last, attempt)
    return SlotPlan("done", last, attempt)


def controller_attrs() -> dict[str, Any]:
    """The system attributes that mark this process as a trial's live controller."""
    return {Key.CONTROLLER: this_controller(), Key.CONTROLLER_HEARTBEAT: time.time()}


def create_slot_trial(
    study: optuna.Study, slot: int, attempt: int, params: FrozenTrial | None = None
) -> optuna.Trial:
    """A new RUNNING trial already tagged with its slot, so no untagged trial can leak, and
    with its controller's first heartbeat, so no other controller takes it for abandoned.

    With ``params`` (a previous attempt), the new trial reuses that attempt's parameters.
    """
    tags: dict[str, Any] = {Key.SLOT: slot, Key.ATTEMPT: attempt, **controller_attrs()}
    template = template_trial(TrialState.RUNNING, system_attrs=tags, like=params)
    trial_id = storage_of(study).create_new_trial(study_id_of(study), template_trial=template)
    return optuna.Trial(study, trial_id)


def fail_retryable(storage: BaseStorage, trial_id: int, why: str) -> bool:
    """Fail a trial lost to the infrastructure so its slot retries it; False if it had ended.
    A trial still WAITING never started: its retry does not count against ``max_retries``."""
    system: dict[str, Any] = {Key.RETRYABLE: True}
    if storage.get_trial(trial_id).state == TrialState.WAITING:
        system[Key.NEVER_STARTED] = True
    try:
        set_trial_attrs(storage, trial_id, user={Attr.FAIL_REASON: why}, system=system)
        storage.set_trial_state_values(trial_id, TrialState.FAIL)
    except UpdateFinishedTrialError:
        return False  # told by its controller, or failed by another one first
    return True


def slots_done(
    trials: list[FrozenTrial], max_retries: int, not_counted: frozenset[int] = frozenset()
) -> int:
    """How many trial slots have ended for good (their receipt can be written)."""
    by_slot: dict[int, list[FrozenTrial]] = {}
    for trial in sorted(trials, key=lambda t: t.number):
        slot = trial.system_attrs.get(Key.SLOT)
        if slot is not None:
            by_slot.setdefault(int(slot), []).append(trial)
    return sum(plan_slot(ts, max_retries, not_counted).action == "done" for ts in by_slot.values())
