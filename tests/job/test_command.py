"""Command objectives run by the job-side runner, in-process (no executor) for speed; the
command itself is a real child process (tests/support/programs/train_stub.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from job.test_runner import task_for
from optuna.trial import TrialState

from sweeps.job.objective_check import check_objective
from sweeps.job.runner import run_trial
from sweeps.spec import SpecError
from sweeps.spec.command import command_words, expand
from sweeps.spec.model import ObjectiveSpec
from sweeps.study import prepare_study

STUB = Path(__file__).resolve().parents[1] / "support" / "programs" / "train_stub.py"
THRESHOLD = {"name": "ThresholdPruner", "args": {"upper": 0.5}}  # prunes |x| > 0.5 at once


def command(**env: str) -> dict[str, object]:
    return {"command": f"${{interpreter}} {STUB} --x {{x}}", "env": env}


def test_stdout_steps_reach_the_study_and_the_last_line_is_the_result(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(objective=command(STUB_STEPS="3"))
    outcome = run_trial(task_for(spec, {"x": 3.0}))
    assert outcome.state == "complete" and outcome.values == [1.0]
    trial = prepare_study(spec).trials[0]
    assert trial.intermediate_values == {1: 3.0, 2: 1.5, 3: 1.0}
    assert trial.state == TrialState.RUNNING  # the controller tells, not the job


def test_metrics_names_and_metrics_file(make_spec) -> None:  # type: ignore[no-untyped-def]
    objective = {**command(STUB_METRIC="val_loss"), "metrics_file": "out/metrics.json"}
    Path("out").mkdir()
    _, spec = make_spec(objective=objective, metrics=["val_loss"])
    outcome = run_trial(task_for(spec, {"x": 2.0}))
    assert outcome.state == "complete" and outcome.values == [pytest.approx(2 / 3)]
    assert json.loads(Path("out/metrics.json").read_text()) == {"val_loss": 2 / 3}


def test_a_missing_metric_fails_naming_it(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(objective=command(STUB_METRIC="acc"), metrics=["val_loss"])
    outcome = run_trial(task_for(spec, {"x": 2.0}))
    assert outcome.state == "fail"
    assert outcome.reason == "the result has no val_loss (keys: acc)"


def test_exit_code_is_the_reason_with_the_stderr_tail(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(objective=command(STUB_EXIT="3"))
    outcome = run_trial(task_for(spec, {"x": 1.0}))
    assert outcome.state == "fail" and outcome.reason == "exit code 3"
    assert outcome.traceback is not None and outcome.traceback.endswith("done")


def test_a_signal_is_the_reason(make_spec) -> None:  # type: ignore[no-untyped-def]
    kill = ["${interpreter}", "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"]
    _, spec = make_spec(objective={"command": kill})
    outcome = run_trial(task_for(spec, {"x": 1.0}))
    assert outcome.state == "fail" and outcome.reason == "killed by signal 9 (SIGKILL)"


def test_no_result_line_fails(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(objective={"command": ["${interpreter}", "-c", "print('hello')"]})
    outcome = run_trial(task_for(spec, {"x": 1.0}))
    assert outcome.state == "fail" and "printed no result" in (outcome.reason or "")


def test_client_reports_and_stops_when_pruned(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(objective=command(STUB_CLIENT="1", STUB_STEPS="50"), pruner=THRESHOLD)
    outcome = run_trial(task_for(spec, {"x": 3.0}))
    assert outcome.state == "pruned" and outcome.reason == "pruned by the pruner at step 1"
    assert prepare_study(spec).trials[0].intermediate_values == {1: 3.0}


def test_a_script_that_ignores_the_pruner_is_terminated_after_the_grace(make_spec) -> None:  # type: ignore[no-untyped-def]
    objective = {
        **command(STUB_CLIENT="1", STUB_IGNORE_PRUNE="1", STUB_SLEEP_S="20"),
        "prune_grace_s": 0.5,
    }
    _, spec = make_spec(objective=objective, pruner=THRESHOLD)
    started = time.monotonic()
    outcome = run_trial(task_for(spec, {"x": 3.0}))
    assert outcome.state == "pruned"
    assert time.monotonic() - started < 15


def test_wandb_macros_expand_as_wandb_writes_them() -> None:
    values = {"lr": 0.001, "flag": False, "on": True, "opt": "adam"}
    words = command_words("${env} ${interpreter} ${program} ${args}", "train.py")
    assert expand(words, values, {"interpreter": "py", "program": "train.py"})[1:] == [
        "py",
        "train.py",
        "--lr=0.001",
        "--flag=False",
        "--on=True",
        "--opt=adam",
    ]
    assert expand(["${args_no_hyphens}"], values, {}) == [
        "lr=0.001",
        "flag=False",
        "on=True",
        "opt=adam",
    ]
    assert expand(["${args_no_boolean_flags}"], values, {}) == ["--lr=0.001", "--on", "--opt=adam"]
    assert json.loads(expand(["${args_json}"], values, {})[0]) == values
    assert expand(["--lr={lr}", "{{x}}"], values, {}) == ["--lr=0.001", "{x}"]


def test_function_and_command_are_mutually_exclusive(make_spec) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError) as err:
        make_spec(objective={"function": "support.objectives:quadratic", "command": "python t.py"})
    assert "sweep.yaml" in str(err.value)
    assert "give either 'function' ('support.objectives:quadratic') or 'command'" in str(err.value)


def test_unknown_placeholder_is_refused_naming_it(make_spec) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError) as err:
        make_spec(objective={"command": "python t.py --lr {lr}"})
    assert "objective.command = 'python t.py --lr {lr}'" in str(err.value)
    assert "unknown placeholder {lr}" in str(err.value)


def test_program_and_script_are_checked_before_submitting(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(objective={"command": "python missing.py --x {x}"})
    with pytest.raises(ValueError, match=r"script 'missing.py' is not a file in"):
        check_objective(spec, must_import=True)
    _, spec = make_spec(objective={"command": "no-such-tool-xyz {x}"})
    with pytest.raises(ValueError, match="program 'no-such-tool-xyz' is not on PATH"):
        check_objective(spec, must_import=True)
    assert "not on PATH here" in (check_objective(spec, must_import=False) or "")
    _, spec = make_spec(objective=command())
    assert check_objective(spec, must_import=True) is None


def test_client_outside_a_sweep_is_a_free_no_op(tmp_path: Path) -> None:
    code = (
        "import sys; from sweeps import client; client.report(1.0, 1); "
        "print(client.should_prune(), client.in_sweep(), 'optuna' in sys.modules)"
    )
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("SWEEPS_")}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False", "False"]


def test_a_function_objective_dumps_as_before_so_its_study_still_loads() -> None:
    """The pinned settings of existing studies must not change with the command fields."""
    dumped = ObjectiveSpec(function="m:f").model_dump()
    assert dumped == {"function": "m:f", "args": {}, "allow_non_finite": False}


def test_cwd_is_where_the_script_is_found_and_run(make_spec) -> None:  # type: ignore[no-untyped-def]
    Path("exp").mkdir()
    Path("exp/train.py").write_text(
        "import json, os; print(json.dumps({'value': len(os.listdir('.'))}))"
    )
    _, spec = make_spec(objective={"command": "python train.py {x}", "cwd": "exp"})
    assert check_objective(spec, must_import=True) is None
    outcome = run_trial(task_for(spec, {"x": 1.0}))
    assert outcome.state == "complete" and outcome.values == [1.0]  # only train.py in exp/


def test_a_secret_in_the_command_env_is_refused(make_spec) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError) as err:
        make_spec(objective={**command(), "env": {"WANDB_API_KEY": "abc123"}})
    assert "WANDB_API_KEY looks like a secret" in str(err.value)
    assert "objective.env = {'WANDB_API_KEY': '***'}" in str(err.value)
    assert "abc123" not in str(err.value)


def test_stdout_steps_are_pruned_too_and_the_script_terminated(make_spec) -> None:  # type: ignore[no-untyped-def]
    objective = {**command(STUB_STEPS="50", STUB_SLEEP_S="0.5"), "prune_grace_s": 0.2}
    _, spec = make_spec(objective=objective, pruner=THRESHOLD)
    started = time.monotonic()
    outcome = run_trial(task_for(spec, {"x": 3.0}))
    assert outcome.state == "pruned" and outcome.reason == "pruned by the pruner at step 1"
    assert time.monotonic() - started < 10  # not the 25 s the script would run
    assert prepare_study(spec).trials[0].intermediate_values == {1: 3.0}


def test_a_command_started_once_cannot_run_several_ranks(make_spec) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError, match=r"objective.launch = 'once': a command started once"):
        make_spec(objective=command(), resources={"gpus": 2})
    _, spec = make_spec(objective=command(), resources={"gpus": 2, "tasks_per_node": 1})
    assert spec.resources.gpus == 2  # the command starts its own ranks
    _, spec = make_spec(objective={**command(), "launch": "per_rank"}, resources={"gpus": 2})
    assert spec.objective.launch == "per_rank"


def test_launcher_placeholders_are_known_only_to_a_command_started_per_node(make_spec) -> None:  # type: ignore[no-untyped-def]
    launcher = {"command": f"${{interpreter}} {STUB} --x {{x}} --n {{nnodes}}"}
    with pytest.raises(SpecError, match=r"unknown placeholder \{nnodes\}"):
        make_spec(objective=launcher)
    _, spec = make_spec(objective={**launcher, "launch": "per_node"})
    assert spec.objective.launch == "per_node"
