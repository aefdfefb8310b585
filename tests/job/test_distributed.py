"""A 2-rank distributed trial on the CPU (gloo) through submitit's LocalExecutor."""

from __future__ import annotations

from pathlib import Path

import pytest
from optuna.trial import TrialState

from sweeps.controller.slot import run_slot
from sweeps.study import load_study, prepare_study

pytest.importorskip("torch")


def test_two_rank_trial_reports_once_from_rank_0(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(
        objective="support.objectives:all_reduce",
        resources={"tasks_per_node": 2, "time_min": 2},
        budget={"n_trials": 1},
    )
    prepare_study(spec)
    run_slot(spec, 0, Path("results/t/trials/0.json"))
    (trial,) = load_study(spec).trials
    assert trial.state == TrialState.COMPLETE, trial.user_attrs.get("fail_reason")
    x = trial.params["x"]
    assert trial.value == pytest.approx(3 * x)  # ranks 1 and 2 summed
    assert trial.intermediate_values == {0: pytest.approx(3 * x), 1: pytest.approx(3 * x)}
    assert trial.user_attrs["world_size"] == 2 and trial.user_attrs["rank"] == 0
    assert "MASTER_PORT" not in trial.user_attrs  # rendezvous stays out of the study
    log = Path(trial.user_attrs["log_file"])
    assert "rank 0 of 2 done" in log.read_text()
    assert "rank 1 of 2 done" in log.with_suffix(".rank1.log").read_text()
