"""The job-side runner, called in-process (no executor) for speed."""

from __future__ import annotations

from optuna.trial import TrialState

from sweeps.job.runner import import_objective, run_trial
from sweeps.job.task import TrialTask
from sweeps.spec import SweepSpec
from sweeps.storage.optuna_internals import trial_id_of
from sweeps.study import prepare_study
from sweeps.study.slots import create_slot_trial


def task_for(spec: SweepSpec, params: dict[str, object]) -> TrialTask:
    study = prepare_study(spec)
    trial = create_slot_trial(study, slot=0, attempt=0)
    return TrialTask(
        spec=spec,
        trial_id=trial_id_of(trial),
        number=trial.number,
        slot=0,
        attempt=0,
        params=params,
        seed=5,
        checkpoint_dir="ckpt",
    )


def test_intermediate_values_reach_the_study(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec()
    outcome = run_trial(task_for(spec, {"x": 3.0}))
    assert outcome.state == "complete" and outcome.values == [1.0]
    study = prepare_study(spec)
    assert study.trials[0].intermediate_values == {0: 4.0, 1: 3.0, 2: 2.0}
    assert study.trials[0].state == TrialState.RUNNING  # the controller tells, not the job


def test_resumed_attempt_does_not_report_a_step_twice(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec()
    task = task_for(spec, {"x": 3.0})
    run_trial(task)
    outcome = run_trial(task)  # as after a requeue
    assert outcome.state == "complete"
    assert prepare_study(spec).trials[0].intermediate_values == {0: 4.0, 1: 3.0, 2: 2.0}


def test_wrong_number_of_values_fails(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(objective="support.objectives:two_values")
    outcome = run_trial(task_for(spec, {"x": 0.25}))
    assert outcome.state == "fail"
    assert "returned 2 values, the sweep expects 1" in (outcome.reason or "")


def test_multi_objective_without_handle_argument(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(
        objective="support.objectives:two_values",
        directions=["minimize", "minimize"],
        direction=None,
    )
    outcome = run_trial(task_for(spec, {"x": 0.25}))
    assert outcome.state == "complete" and outcome.values == [0.25, 0.75]
    assert import_objective("support.objectives:two_values")({"x": 0.5}) == (0.5, 0.5)


def test_missing_objective_is_a_failed_trial(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(objective="support.objectives:nope")
    outcome = run_trial(task_for(spec, {"x": 1.0}))
    assert outcome.state == "fail"
    assert "has no attribute 'nope'" in (outcome.reason or "")
