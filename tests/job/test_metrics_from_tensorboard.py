"""Scripts that write TensorBoard events, run unchanged as command objectives:
`objective.metrics_from.tensorboard` polls the event files while the script runs, so the pruner
sees each value, and the tag's last value is the result."""

from __future__ import annotations

import importlib.util
import textwrap
import time
from pathlib import Path

import pytest
from job.test_runner import task_for

from sweeps.job.objective_check import check_objective
from sweeps.job.runner import run_trial
from sweeps.study import prepare_study

pytest.importorskip("tensorboard")

# tensorboard's own writer (scalar tensors, as tf.summary writes them).
WRITER = textwrap.dedent(
    """
    import sys, time
    from tensorboard.summary import Writer

    directory, x, epochs, sleep = sys.argv[1:]
    x, epochs, sleep = float(x), int(epochs), float(sleep)
    writer = Writer(directory)
    for epoch in range(epochs):
        writer.add_scalar("val/loss", x / (epoch + 1), epoch)
        writer.add_scalar("train/loss", 9.0, epoch)
        writer.flush()
        time.sleep(sleep)
    writer.close()
    print("done")
    """
)
THRESHOLD = {"name": "ThresholdPruner", "args": {"upper": 0.5}}  # prunes a loss above 0.5


def writer_objective(epochs: int, sleep: float = 0.0, tag: str = "val/loss") -> dict[str, object]:
    Path("write_events.py").write_text(WRITER)
    command = f"${{interpreter}} write_events.py runs/{{x}} {{x}} {epochs} {sleep}"
    return {"command": command, "metrics_from": {"tensorboard": {"dir": "runs/{x}", "tag": tag}}}


def stale_event(directory: Path) -> None:
    """An earlier run's event file in the same directory, to be left out."""
    from tensorboard.summary import Writer

    earlier = time.time() - 1000
    writer = Writer(str(directory))
    writer.add_scalar("val/loss", 123.0, 99, wall_time=earlier)
    writer.close()
    (written,) = directory.iterdir()
    written.rename(directory / f"events.out.tfevents.{int(earlier)}.earlier.1")


def test_events_reach_the_study_and_the_last_value_is_the_result(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(objective=writer_objective(epochs=3))
    stale_event(Path("runs/2.0"))
    outcome = run_trial(task_for(spec, {"x": 2.0}))
    assert outcome.state == "complete" and outcome.values == [pytest.approx(2 / 3)]
    trial = prepare_study(spec).trials[0]
    assert trial.intermediate_values == {0: 2.0, 1: 1.0, 2: pytest.approx(2 / 3)}


def test_the_pruner_stops_the_script_while_it_writes(make_spec) -> None:  # type: ignore[no-untyped-def]
    objective = {**writer_objective(epochs=100, sleep=0.1), "prune_grace_s": 0.3}
    _, spec = make_spec(objective=objective, pruner=THRESHOLD)
    started = time.monotonic()
    outcome = run_trial(task_for(spec, {"x": 3.0}))
    assert outcome.state == "pruned"
    assert time.monotonic() - started < 8  # 100 epochs would take 10 s
    assert prepare_study(spec).trials[0].intermediate_values[0] == 3.0


def test_a_tag_never_written_fails_the_trial_naming_it(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(objective=writer_objective(epochs=1, tag="valid/loss"))
    outcome = run_trial(task_for(spec, {"x": 1.0}))
    assert outcome.state == "fail"
    directory = str(Path("runs/1.0").resolve())
    assert outcome.reason == (
        f"objective.metrics_from.tensorboard: no scalar 'valid/loss' written in {directory!r} "
        "(tags there: train/loss, val/loss; last line: 'done')"
    )


def test_torch_summary_writer_scalars(make_spec) -> None:  # type: ignore[no-untyped-def]
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed")
    Path("train.py").write_text(
        "import sys\n"
        "from torch.utils.tensorboard import SummaryWriter\n"
        "writer = SummaryWriter(sys.argv[1])\n"
        "for epoch in range(1, 4):\n"
        "    writer.add_scalar('val/loss', float(sys.argv[2]) / epoch, epoch)\n"
        "writer.close()\n"
    )
    read = {"tensorboard": {"dir": "{trial_dir}/tb", "tag": "val/loss"}}
    objective = {"command": "${interpreter} train.py {trial_dir}/tb {x}", "metrics_from": read}
    _, spec = make_spec(objective=objective)
    outcome = run_trial(task_for(spec, {"x": 3.0}))
    assert outcome.state == "complete" and outcome.values == [1.0]
    assert prepare_study(spec).trials[0].intermediate_values == {1: 3.0, 2: 1.5, 3: 1.0}


def test_a_missing_tensorboard_package_is_refused_naming_the_extra(make_spec, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(objective=writer_objective(epochs=1))
    assert check_objective(spec, must_import=True) is None
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "tensorboard" else find_spec(name, *a),
    )
    with pytest.raises(ValueError) as err:
        check_objective(spec, must_import=True)
    assert str(err.value) == (
        "objective.metrics_from.tensorboard = {'dir': 'runs/{x}', 'tag': 'val/loss'} needs the "
        'tensorboard package: pip install "hpc-sweeps[tensorboard]" brings it'
    )
    note = check_objective(spec, must_import=False) or ""
    assert "the trials' own environment must provide it" in note
