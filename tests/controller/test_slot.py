"""A trial slot end to end through submitit's LocalExecutor (real processes, real SQLite)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from optuna.trial import TrialState
from support.controllers import exited_controller

from sweeps.controller.slot import run_slot
from sweeps.storage.optuna_internals import storage_of, trial_id_of
from sweeps.study import load_study, prepare_study
from sweeps.study.keys import Key
from sweeps.study.slots import slot_trials

MODES = {"type": "categorical", "choices": ["ok", "raise", "nan", "kill", "prune"]}


def run_mode(make_spec, mode: str, slot: int = 0):  # type: ignore[no-untyped-def]
    _, spec = make_spec(
        objective="support.objectives:misbehave",
        space={"mode": {"type": "categorical", "choices": [mode]}},
    )
    prepare_study(spec)
    receipt = run_slot(spec, slot, Path(f"results/t/trials/{slot}.json"))
    trial = load_study(spec).trials[-1]
    return spec, receipt, trial


def test_complete_trial_is_told_with_provenance(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec()
    prepare_study(spec)
    receipt = run_slot(spec, 2, Path("results/t/trials/2.json"))
    trial = load_study(spec).trials[0]
    assert trial.state == TrialState.COMPLETE
    assert trial.value == pytest.approx((trial.params["x"] - 2) ** 2)
    assert trial.intermediate_values  # reported from the job process
    attrs = trial.user_attrs
    for key in (
        "hostname",
        "started_at",
        "finished_at",
        "runtime_s",
        "executor",
        "job_id",
        "device",
        "seed",
        "versions.optuna",
    ):
        assert key in attrs, key
    assert attrs["executor"] == "local" and attrs["device"] == "cpu"
    saved = json.loads(Path("results/t/trials/2.json").read_text())
    assert saved["state"] == "COMPLETE" and saved["number"] == receipt.number == 0
    assert saved["slot"] == 2


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("raise", "RuntimeError: objective exploded on purpose"),
        ("nan", "non-finite value nan"),
        ("kill", "killed by signal 9 (SIGKILL)"),
    ],
)
def test_failures_are_recorded_and_final(make_spec, mode: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    spec, receipt, trial = run_mode(make_spec, mode)
    assert trial.state == TrialState.FAIL
    assert receipt.state == "FAIL"
    assert reason in trial.user_attrs["fail_reason"]
    if mode == "raise":
        assert "Traceback" in trial.user_attrs["traceback"]
    # A failed trial is final: running the slot again does not run it again.
    run_slot(spec, 0, Path("results/t/trials/0.json"))
    assert len(load_study(spec).trials) == 1


@pytest.mark.parametrize(
    ("returns", "reason"),
    [
        ("string", "objective returned str 'abc', expected a number"),
        ("inf", "non-finite value inf"),
        ("nan", "non-finite value nan"),
    ],
)
def test_wrong_return_values_fail_with_their_real_cause(  # type: ignore[no-untyped-def]
    make_spec, returns: str, reason: str
) -> None:
    _, spec = make_spec(
        objective="support.objectives:returns",
        space={"returns": {"type": "categorical", "choices": [returns]}},
    )
    prepare_study(spec)
    run_slot(spec, 0, Path("results/t/trials/0.json"))
    trial = load_study(spec).trials[-1]
    assert trial.state == TrialState.FAIL
    assert trial.user_attrs["fail_reason"] == reason


def test_an_infinite_value_completes_when_the_sweep_allows_it(  # type: ignore[no-untyped-def]
    make_spec, backend, unique_study: str
) -> None:
    _, spec = make_spec(
        study=unique_study,
        storage=backend.url,
        objective={"function": "support.objectives:returns", "allow_non_finite": True},
        space={"returns": {"type": "categorical", "choices": ["inf"]}},
    )
    prepare_study(spec)
    run_slot(spec, 0, Path("results/t/trials/0.json"))
    trial = load_study(spec).trials[-1]
    assert trial.state == TrialState.COMPLETE and trial.value == float("inf")  # stored as such


def test_pruned_trial(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, receipt, trial = run_mode(make_spec, "prune")
    assert trial.state == TrialState.PRUNED
    assert trial.user_attrs["reason"] == "told to prune"
    assert receipt.state == "PRUNED"


def test_rerun_of_a_finished_slot_rewrites_only_the_receipt(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec()
    prepare_study(spec)
    receipt_path = Path("results/t/trials/1.json")
    first = run_slot(spec, 1, receipt_path)
    receipt_path.unlink()
    second = run_slot(spec, 1, receipt_path)
    assert second == first
    assert len(load_study(spec).trials) == 1


def test_dead_controller_leaves_a_trial_that_is_retried_with_its_params(make_spec) -> None:  # type: ignore[no-untyped-def]
    from sweeps.study.slots import create_slot_trial

    _, spec = make_spec()
    study = prepare_study(spec)
    orphan = create_slot_trial(study, slot=0, attempt=0)
    x = orphan.suggest_float("x", -5, 5)
    # The controller that created `orphan` died (a process of this host that has exited): the
    # next run of the slot retries it at once, without waiting out the heartbeat's grace.
    storage_of(study).set_trial_system_attr(
        trial_id_of(orphan), Key.CONTROLLER, exited_controller()
    )
    run_slot(spec, 0, Path("results/t/trials/0.json"))
    trials = slot_trials(load_study(spec), 0)
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.COMPLETE]
    assert trials[1].params == {"x": x}
    assert "controller died" in trials[0].user_attrs["fail_reason"]


def test_a_trial_whose_controller_died_mid_sampling_is_sampled_anew(make_spec) -> None:  # type: ignore[no-untyped-def]
    from sweeps.study.slots import create_slot_trial

    _, spec = make_spec()
    study = prepare_study(spec)
    orphan = create_slot_trial(study, slot=0, attempt=0)  # died before it suggested `x`
    storage_of(study).set_trial_system_attr(
        trial_id_of(orphan), Key.CONTROLLER, exited_controller()
    )
    receipt = run_slot(spec, 0, Path("results/t/trials/0.json"))
    assert receipt.state == "COMPLETE"  # not retried without its parameters (KeyError: 'x')
    lost, retry = slot_trials(load_study(spec), 0)
    assert lost.state == TrialState.FAIL and not lost.params
    assert retry.state == TrialState.COMPLETE and set(retry.params) == {"x"}


def test_a_sampler_that_crashes_leaves_no_running_trial(  # type: ignore[no-untyped-def]
    make_spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sweeps.controller.slot as slot_module

    def crash(trial: object, spec: object) -> None:  # stands in for a sampler bug mid-suggest
        raise TypeError("'<' not supported between instances of 'int' and 'str'")

    _, spec = make_spec()
    prepare_study(spec)
    with monkeypatch.context() as patch:
        patch.setattr(slot_module, "suggest_all", crash)
        with pytest.raises(TypeError):
            run_slot(spec, 0, Path("results/t/trials/0.json"))
    [trial] = load_study(spec).trials
    assert trial.state == TrialState.FAIL and trial.system_attrs[Key.RETRYABLE]
    assert trial.user_attrs["fail_reason"].startswith("its sampling did not finish: TypeError")
    # the sampler fixed: the slot samples anew and completes
    assert run_slot(spec, 0, Path("results/t/trials/0.json")).state == "COMPLETE"
    assert set(slot_trials(load_study(spec), 0)[-1].params) == {"x"}


def test_slot_outside_budget(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec()
    prepare_study(spec)
    with pytest.raises(ValueError, match="outside the budget"):
        run_slot(spec, 4, Path("x.json"))


def test_a_slot_reads_only_its_own_trials(make_spec) -> None:  # type: ignore[no-untyped-def]
    """A new controller process (Random sampler: nothing else asks for every trial) brings
    its slot to an end without reading the other slots' trials."""
    from sweeps.storage.open import close_storage
    from sweeps.storage.optuna_internals import has_read_trials, study_id_of
    from sweeps.study.reads import cache_layer
    from sweeps.study.slots import create_slot_trial

    _, spec = make_spec(budget={"n_trials": 40})
    study = prepare_study(spec)
    for slot in range(1, 31):  # other slots' trials, finished and (one) running
        trial = create_slot_trial(study, slot, 0)
        trial.suggest_float("x", -5, 5)
        if slot != 30:
            study.tell(trial, float(slot))
    close_storage()
    receipt = run_slot(spec, 0, Path("results/t/trials/0.json"))
    study = load_study(spec)
    assert not has_read_trials(cache_layer(study), study_id_of(study))
    assert receipt.number == 30 and slot_trials(study, 0)[0].state == TrialState.COMPLETE
