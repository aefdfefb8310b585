"""Scripts that print plain text, run unchanged as command objectives: `objective.metrics_from`
patterns give the pruner each epoch's value as it is printed and the trial its result; extra
keys of a JSON result are recorded on the trial. Each script is a real child process."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path
from typing import Any

import yaml
from job.test_runner import task_for
from optuna.trial import TrialState
from support.specs import REPO

from sweeps.controller.slot import run_slot
from sweeps.job.runner import run_trial
from sweeps.spec.facts import RESULT, fact_key
from sweeps.study import load_study, prepare_study

# The example of docs/objectives.md, "Metrics from plain output and TensorBoard".
WORD_LM = textwrap.dedent(
    """
    import argparse, time

    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--sleep", type=float, default=0.0)
    args = parser.parse_args()
    ppl = 100.0
    for epoch in range(1, args.epochs + 1):
        ppl = ppl * (1 - args.lr)
        time.sleep(args.sleep)
        print(f"| end of epoch {epoch:3d} | time: 0.01s | valid loss 4.2 | valid ppl {ppl:8.2f}")
    print(f"| End of training | test loss 4.1 | test ppl {ppl - 1:8.2f}")
    """
)
PATTERNS = {
    "intermediate": r"end of epoch\s+(?P<step>\d+).*valid ppl\s+(?P<value>[\d.]+)",
    "final": r"test ppl\s+(?P<value>[\d.]+)",
}
LR_SPACE = {"lr": {"type": "float", "low": 0.1, "high": 0.5}}
HALF = {"lr": {"type": "categorical", "choices": [0.5]}}
THRESHOLD = {"name": "ThresholdPruner", "args": {"upper": 50.0}}  # prunes a ppl above 50


def script(name: str, text: str) -> str:
    Path(name).write_text(text)
    return name


def word_lm(epochs: int = 3, sleep: float = 0.0, **read: Any) -> dict[str, Any]:
    command = f"${{interpreter}} {script('main.py', WORD_LM)} --lr {{lr}} --epochs {epochs}"
    return {"command": f"{command} --sleep {sleep}", "metrics_from": read or PATTERNS}


def test_per_epoch_lines_reach_the_study_and_the_test_line_is_the_result(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(objective=word_lm(), space=LR_SPACE)
    outcome = run_trial(task_for(spec, {"lr": 0.5}))
    assert outcome.state == "complete" and outcome.values == [11.5]  # its test ppl
    trial = prepare_study(spec).trials[0]
    assert trial.intermediate_values == {1: 50.0, 2: 25.0, 3: 12.5}


def test_the_documented_example_is_this_one() -> None:
    section = (
        (REPO / "docs" / "objectives.md")
        .read_text()
        .split("## Metrics from plain output and TensorBoard")[1]
    )
    example = yaml.safe_load(section.split("```yaml\n")[1].split("```")[0])
    assert example["objective"]["metrics_from"] == PATTERNS


def test_simple_forms_and_counted_steps_on_stdout_and_stderr(make_spec) -> None:  # type: ignore[no-untyped-def]
    train = script(
        "train.py",
        "import logging\n"
        "logging.basicConfig(level=logging.INFO)  # to stderr\n"
        "for i in range(3):\n"
        "    print(f'epoch {i + 1} val_acc={0.5 + i / 10:.2f}')\n"
        "    logging.info(f'step done, loss: {1 / (i + 1):.4f}')\n",
    )
    read = {"intermediate": r"loss: (?P<value>[-+.\deE]+)", "final": r"val_acc=(?P<acc>[\d.]+)"}
    objective = {"command": f"${{interpreter}} {train} {{x}}", "metrics_from": read}
    _, spec = make_spec(objective=objective, metrics=["acc"], direction="maximize")
    outcome = run_trial(task_for(spec, {"x": 1.0}))
    assert outcome.state == "complete" and outcome.values == [0.7]
    trial = prepare_study(spec).trials[0]
    assert trial.intermediate_values == {0: 1.0, 1: 0.5, 2: 0.3333}  # counted from 0


def test_the_pruner_stops_a_plain_text_script_as_its_lines_appear(make_spec) -> None:  # type: ignore[no-untyped-def]
    objective = {**word_lm(epochs=100, sleep=0.1), "prune_grace_s": 0.3}
    _, spec = make_spec(objective=objective, space=LR_SPACE, pruner=THRESHOLD)
    started = time.monotonic()
    outcome = run_trial(task_for(spec, {"lr": 0.1}))
    assert outcome.state == "pruned" and outcome.reason == "pruned by the pruner at step 1"
    assert time.monotonic() - started < 8  # 100 epochs would take 10 s
    assert prepare_study(spec).trials[0].intermediate_values == {1: 90.0}


def test_a_pattern_that_never_matched_fails_the_trial_naming_it_and_the_last_line(
    make_spec,
) -> None:  # type: ignore[no-untyped-def]
    read = {**PATTERNS, "final": r"best ppl (?P<value>[\d.]+)"}
    _, spec = make_spec(objective=word_lm(**read), space=HALF, budget={"n_trials": 1})
    prepare_study(spec)
    run_slot(spec, 0, Path("results/t/trials/0.json"))
    trial = load_study(spec).trials[0]
    assert trial.state == TrialState.FAIL
    assert trial.user_attrs["fail_reason"] == (
        r"objective.metrics_from.final 'best ppl (?P<value>[\\d.]+)' never matched (last line: "
        "'| End of training | test loss 4.1 | test ppl    11.50')"
    )


def test_an_intermediate_pattern_that_never_matched_fails_too(make_spec) -> None:  # type: ignore[no-untyped-def]
    read = {**PATTERNS, "intermediate": r"epoch (?P<value>\d+) done"}
    _, spec = make_spec(objective=word_lm(**read), space=LR_SPACE)
    outcome = run_trial(task_for(spec, {"lr": 0.5}))
    assert outcome.state == "fail"
    assert outcome.reason is not None
    assert outcome.reason.startswith(
        r"objective.metrics_from.intermediate 'epoch (?P<value>\\d+) done' never matched"
    )


def test_a_silent_script_fails_saying_it_printed_nothing(make_spec) -> None:  # type: ignore[no-untyped-def]
    objective = {"command": ["${interpreter}", "-c", "pass"], "metrics_from": PATTERNS}
    _, spec = make_spec(objective=objective)
    outcome = run_trial(task_for(spec, {"x": 1.0}))
    assert outcome.state == "fail" and (outcome.reason or "").endswith("(it printed nothing)")


def test_extra_keys_of_a_json_result_are_recorded_on_the_trial(make_spec) -> None:  # type: ignore[no-untyped-def]
    line = '{"val_loss": 0.3, "test_loss": 0.31, "epochs": 6, "note": "ok"}'
    objective = {"command": ["${interpreter}", script("result.py", f"print({line!r})")]}
    _, spec = make_spec(objective=objective, metrics=["val_loss"], budget={"n_trials": 1})
    prepare_study(spec)
    run_slot(spec, 0, Path("results/t/trials/0.json"))
    trial = load_study(spec).trials[0]
    assert trial.state == TrialState.COMPLETE and trial.value == 0.3
    extras = {key: trial.user_attrs.get(fact_key(RESULT, key)) for key in ("test_loss", "note")}
    assert extras == {"test_loss": 0.31, "note": "ok"}
    assert trial.user_attrs[fact_key(RESULT, "epochs")] == 6
    assert fact_key(RESULT, "val_loss") not in trial.user_attrs


def test_other_groups_of_the_final_pattern_are_recorded_too(make_spec) -> None:  # type: ignore[no-untyped-def]
    read = {**PATTERNS, "final": r"test loss (?P<test_loss>[\d.]+) \| test ppl\s+(?P<value>[\d.]+)"}
    _, spec = make_spec(objective=word_lm(**read), space=LR_SPACE)
    task = task_for(spec, {"lr": 0.5})
    assert run_trial(task).values == [11.5]
    assert prepare_study(spec).trials[0].user_attrs[fact_key(RESULT, "test_loss")] == 4.1


def test_several_metrics_from_one_pattern(make_spec) -> None:  # type: ignore[no-untyped-def]
    train = script("train.py", "print('loss: 0.42'); print('acc 0.9 (done)')")
    read = {"final": r"loss: (?P<loss>[\d.]+)|acc (?P<acc>[\d.]+)"}
    objective = {"command": f"${{interpreter}} {train} {{x}}", "metrics_from": read}
    _, spec = make_spec(
        objective=objective,
        direction=None,
        directions=["minimize", "maximize"],
        metrics=["loss", "acc"],
        sampler={"name": "NSGAIISampler"},
    )
    outcome = run_trial(task_for(spec, {"x": 1.0}))
    assert outcome.state == "complete" and outcome.values == [0.42, 0.9]
    script("train.py", "print('loss: 0.42')")
    outcome = run_trial(task_for(spec, {"x": 1.0}))
    assert outcome.state == "fail" and "never matched for acc" in (outcome.reason or "")
