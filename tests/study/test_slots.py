from __future__ import annotations

from optuna.trial import TrialState
from support.specs import base_spec

from sweeps.spec import spec_from_dict
from sweeps.storage.optuna_internals import storage_of, trial_id_of
from sweeps.study import prepare_study
from sweeps.study.keys import Key
from sweeps.study.slots import create_slot_trial, fail_retryable, plan_slot, slot_trials, uncounted


def test_slot_lifecycle(workdir) -> None:  # type: ignore[no-untyped-def]
    study = prepare_study(spec_from_dict(base_spec()))
    assert plan_slot(slot_trials(study, 3), max_retries=2).action == "new"

    trial = create_slot_trial(study, slot=3, attempt=0)
    x = trial.suggest_float("x", -5, 5)
    assert study.trials[0].system_attrs[Key.SLOT] == 3
    plan = plan_slot(slot_trials(study, 3), max_retries=2)
    assert plan.action == "running"

    # An attempt lost to the infrastructure is retried with the same parameters.
    storage_of(study).set_trial_system_attr(trial_id_of(trial), Key.RETRYABLE, True)
    study.tell(trial, state=TrialState.FAIL)
    plan = plan_slot(slot_trials(study, 3), max_retries=2)
    assert plan.action == "retry" and plan.attempt == 1
    retry = create_slot_trial(study, slot=3, attempt=1, params=plan.trial)
    assert retry.params == {"x": x}
    study.tell(retry, 1.0)
    plan = plan_slot(slot_trials(study, 3), max_retries=2)
    assert plan.action == "done" and plan.trial is not None and plan.trial.value == 1.0
    assert slot_trials(study, 0) == []


def test_retry_budget_is_bounded(workdir) -> None:  # type: ignore[no-untyped-def]
    study = prepare_study(spec_from_dict(base_spec()))
    for attempt in range(2):
        trial = create_slot_trial(study, slot=0, attempt=attempt)
        storage_of(study).set_trial_system_attr(trial_id_of(trial), Key.RETRYABLE, True)
        study.tell(trial, state=TrialState.FAIL)
    assert plan_slot(slot_trials(study, 0), max_retries=1).action == "done"
    assert plan_slot(slot_trials(study, 0), max_retries=2).action == "retry"


def test_a_failure_the_sweep_stopped_on_does_not_use_up_the_slot(workdir) -> None:  # type: ignore[no-untyped-def]
    study = prepare_study(spec_from_dict(base_spec()))
    trial = create_slot_trial(study, slot=0, attempt=0)
    trial.suggest_float("x", -5, 5)
    study.tell(trial, state=TrialState.FAIL)
    assert plan_slot(slot_trials(study, 0), max_retries=0).action == "done"  # counted
    study.set_user_attr(Key.UNCOUNTED, f"[{trial.number}]")  # as a stop on its cause records
    not_counted = uncounted(study.user_attrs)
    plan = plan_slot(slot_trials(study, 0), 0, not_counted)  # whatever the retries say
    assert plan.action == "retry" and plan.attempt == 1 and plan.trial is not None
    assert plan.trial.number == trial.number


def test_a_trial_published_for_warm_workers_is_running_one_asked_ahead_is_new(workdir) -> None:  # type: ignore[no-untyped-def]
    """WAITING with a warm task: a lane has it or will claim it, so a later controller of the
    slot re-attaches to it; WAITING without one: asked ahead by its batch, to be started."""
    study = prepare_study(spec_from_dict(base_spec()))
    storage = storage_of(study)
    for slot, system in ((0, {Key.WARM_TASK: {"key": "k"}}), (1, {})):
        trial = create_slot_trial(study, slot=slot, attempt=0)
        for key, value in system.items():
            storage.set_trial_system_attr(trial_id_of(trial), key, value)
        storage.set_trial_state_values(trial_id_of(trial), TrialState.WAITING)
    assert plan_slot(slot_trials(study, 0), max_retries=2).action == "running"
    assert plan_slot(slot_trials(study, 1), max_retries=2).action == "new"


def test_a_trial_failed_before_it_started_is_retried_without_using_up_a_retry(workdir) -> None:  # type: ignore[no-untyped-def]
    """Handed over ahead (WAITING) and cancelled by a stop: the attempt never happened, so the
    slot runs it again with the same attempt number, even with no retries left."""
    study = prepare_study(spec_from_dict(base_spec()))
    storage = storage_of(study)
    waiting = create_slot_trial(study, slot=0, attempt=0)
    waiting.suggest_float("x", -5, 5)
    storage.set_trial_state_values(trial_id_of(waiting), TrialState.WAITING)
    assert fail_retryable(storage, trial_id_of(waiting), "cancelled: the sweep was stopped")
    plan = plan_slot(slot_trials(study, 0), max_retries=0)
    assert plan.action == "retry" and plan.attempt == 0
    running = create_slot_trial(study, slot=1, attempt=0)  # RUNNING: it started
    assert fail_retryable(storage, trial_id_of(running), "interrupted: the sweep was stopped")
    assert plan_slot(slot_trials(study, 1), max_retries=0).action == "done"
    assert Key.NEVER_STARTED not in storage.get_trial(trial_id_of(running)).system_attrs
