"""A signal from outside the trial (a terminal's Ctrl-C, a closed ssh session) ends the attempt
as a lost one that its slot runs again, even where the objective catches the interrupt and
returns a result; through submitit's LocalExecutor, as a sweep runs its trials."""

from __future__ import annotations

from pathlib import Path

import pytest
from optuna.trial import TrialState

from sweeps.controller.slot import run_slot
from sweeps.study import load_study, prepare_study
from sweeps.study.keys import Attr, Key


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("catch", "interrupted by SIGINT from outside the trial"),
        ("raise", "interrupted by SIGINT from outside the trial"),
        ("hangup", "killed by signal 1 (SIGHUP), sent from outside the sweep"),
    ],
)
def test_an_outside_signal_loses_the_attempt_and_the_slot_runs_it_again(
    make_spec, how: str, reason: str
) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(
        objective={"function": "support.objectives:interrupted_once", "args": {"how": how}},
        budget={"n_trials": 1, "max_retries": 1},
    )
    prepare_study(spec)
    receipt = run_slot(spec, 0, Path("results/t/trials/0.json"))
    assert receipt.state == "COMPLETE"
    first, second = load_study(spec).trials
    assert first.state == TrialState.FAIL and first.system_attrs[Key.RETRYABLE]
    assert reason in first.user_attrs[Attr.FAIL_REASON]
    assert first.value is None  # the partial result a caught Ctrl-C returned is not kept
    assert second.state == TrialState.COMPLETE and second.params == first.params
    assert second.value == pytest.approx(second.params["x"])


CATCHES_CTRL_C = Path(__file__).resolve().parents[1] / "support" / "programs" / "catches_ctrl_c.py"


def test_a_script_that_catches_ctrl_c_cannot_turn_the_interrupted_trial_complete(
    make_spec,
) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(
        objective={"command": f"${{interpreter}} {CATCHES_CTRL_C} {{x}}"},
        budget={"n_trials": 1, "max_retries": 1},
    )
    prepare_study(spec)
    assert run_slot(spec, 0, Path("results/t/trials/0.json")).state == "COMPLETE"
    first, second = load_study(spec).trials
    assert first.state == TrialState.FAIL and first.system_attrs[Key.RETRYABLE]
    assert "interrupted by SIGINT from outside the trial" in first.user_attrs[Attr.FAIL_REASON]
    assert second.value == pytest.approx(second.params["x"])  # not the script's -1.0
