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
    # each rank is bound to its own share of the cores, and the trial records both
    ranks = trial.user_attrs["ranks"]
    assert [(r["rank"], r["local_rank"]) for r in ranks] == [(0, 0), (1, 1)]
    assert ranks[0]["cpus"] != ranks[1]["cpus"], ranks
    assert trial.user_attrs["bound_cpus"] == ranks[0]["cpus"]


RANK_STUB = Path(__file__).resolve().parents[1] / "support" / "programs" / "rank_stub.py"


def test_a_command_started_per_rank_runs_once_per_rank_with_torch_s_environment(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(
        objective={"command": f"${{interpreter}} {RANK_STUB} --x {{x}}", "launch": "per_rank"},
        resources={"tasks_per_node": 2, "time_min": 2},
        budget={"n_trials": 1},
    )
    prepare_study(spec)
    run_slot(spec, 0, Path("results/t/trials/0.json"))
    (trial,) = load_study(spec).trials
    assert trial.state == TrialState.COMPLETE, trial.user_attrs.get("fail_reason")
    assert trial.value == pytest.approx(trial.params["x"])  # rank 0's result line
    assert [r["rank"] for r in trial.user_attrs["ranks"]] == [0, 1]


def test_a_command_started_per_node_gets_the_launcher_s_arguments(make_spec) -> None:  # type: ignore[no-untyped-def]
    command = (
        f"${{interpreter}} {RANK_STUB} --x {{x}} --nnodes {{nnodes}} "
        "--nproc-per-node {nproc_per_node} --node-rank {node_rank} --rdzv-endpoint {rdzv_endpoint}"
    )
    _, spec = make_spec(
        objective={"command": command, "launch": "per_node"},
        resources={"tasks_per_node": 2, "time_min": 2},
        budget={"n_trials": 1},
    )
    prepare_study(spec)
    run_slot(spec, 0, Path("results/t/trials/0.json"))
    (trial,) = load_study(spec).trials
    assert trial.state == TrialState.COMPLETE, trial.user_attrs.get("fail_reason")
    assert "ranks" not in trial.user_attrs  # one process: the launcher starts the ranks
    # 1 node x 2 processes per node, node rank 0, a host:port endpoint
    assert trial.value == pytest.approx(trial.params["x"] + 100 + 20 + 0 + 1000)
