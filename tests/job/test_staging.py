"""Data staged once per node: real files in tmp_path, real processes starting at once."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest
from job.test_runner import task_for
from support.specs import base_spec
from support.staging import stage_at_once

from sweeps.controller.slot import run_slot, trial_task
from sweeps.job.runner import run_trial
from sweeps.job.staging import (
    COPIED,
    DATA_VAR,
    IMAGE_COPIED,
    data_identity,
    source_identity,
    stage_data,
    staging_dir,
)
from sweeps.spec import SweepSpec, spec_from_dict
from sweeps.spec.facts import DATA_BYTES, DATA_METHOD, DATA_PATH, DATA_REUSED, DATA_STAGED_S
from sweeps.study import load_study, prepare_study
from sweeps.study.slots import create_slot_trial
from sweeps.worker.queue import task_from_record, task_record

PROCESSES = 4
# Prints the value in the file the command is given ({data}) and in the one $SWEEPS_DATA has.
READER = (
    "import json, os, sys; given = open(sys.argv[1]).read(); "
    "found = open(os.path.join(os.environ['SWEEPS_DATA'], 'value.txt')).read(); "
    "print(json.dumps(dict(value=float(given) + float(found))))"
)


@pytest.fixture(autouse=True)
def _own_data_var(monkeypatch: pytest.MonkeyPatch) -> None:
    """stage_data sets $SWEEPS_DATA in this process: undo it after each test."""
    monkeypatch.delenv(DATA_VAR, raising=False)


def data_set(root: Path, files: int = 200, size: int = 4096) -> Path:
    root.mkdir(parents=True)
    for i in range(files):
        (root / f"part{i:03}.bin").write_bytes(bytes([i % 256]) * size)
    (root / "value.txt").write_text("1.5")
    return root


def staged_spec(workdir: Path, stage: str = "set", **overrides: object) -> SweepSpec:
    data = {"stage": stage, "to": str(workdir / "node")}
    return spec_from_dict(base_spec(data=data, **overrides))


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_trials_starting_together_on_a_node_copy_it_once(workdir: Path) -> None:
    source = data_set(workdir / "set")
    spec = staged_spec(workdir)
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    processes = [
        context.Process(target=stage_at_once, args=(spec, barrier, results))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    found = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    assert [error for error, reused, _ in found if reused is None] == []
    assert sorted(reused for _, reused, _ in found) == [False] + [True] * (PROCESSES - 1)
    assert len({path for path, _, _ in found}) == 1
    assert [s for _, reused, s in found if reused] == [0.0] * (PROCESSES - 1)
    staged = Path(found[0][0])
    assert staged.parent.parent == staging_dir(spec)
    assert tree(staged) == tree(source)


def test_a_later_trial_reuses_the_copy(workdir: Path) -> None:
    data_set(workdir / "set", files=3)
    spec = staged_spec(workdir)
    first = stage_data(spec)
    again = stage_data(spec)
    assert (first.reused, again.reused) == (False, True)
    assert again.path == first.path and again.staged_s == 0.0
    assert again.bytes == first.bytes == 3 * 4096 + 3
    assert os.environ[DATA_VAR] == str(first.path)
    assert first.method == again.method == COPIED
    assert (first.path / "value.txt").read_text() == "1.5"


def test_a_changed_source_is_staged_again(workdir: Path) -> None:
    source = data_set(workdir / "set", files=3)
    spec = staged_spec(workdir)
    first = stage_data(spec)
    (source / "value.txt").write_text("2.25")  # a new size
    (source / "part000.bin").unlink()
    second = stage_data(spec)
    assert not second.reused and second.path == first.path
    assert tree(second.path) == tree(source)
    assert not (second.path / "part000.bin").exists()
    assert stage_data(spec).reused


def test_an_interrupted_copy_is_not_taken_for_a_finished_one(workdir: Path) -> None:
    data_set(workdir / "set", files=3)
    spec = staged_spec(workdir)
    first = stage_data(spec)
    (staging_dir(spec) / "staged.json").unlink()  # as when a copy was killed before its end
    (first.path / "part001.bin").write_bytes(b"half")
    again = stage_data(spec)
    assert not again.reused
    assert (again.path / "part001.bin").read_bytes() == bytes([1]) * 4096


def test_a_single_file_is_staged(workdir: Path) -> None:
    (workdir / "table.csv").write_text("a,b\n1,2\n")
    staged = stage_data(staged_spec(workdir, stage="table.csv"))
    assert staged.path.name == "table.csv" and staged.path.read_text() == "a,b\n1,2\n"
    assert staged.bytes == 8


def test_an_image_is_copied_as_a_file_without_squashfuse(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / "set.sqsh").write_bytes(b"hsqs" + bytes(60))  # read as a file only
    (workdir / "bin").mkdir()
    monkeypatch.setenv("PATH", str(workdir / "bin"))  # no squashfuse on it
    staged = stage_data(staged_spec(workdir, stage="set.sqsh"))
    assert staged.method == IMAGE_COPIED and "squashfuse not on PATH" in staged.method
    assert staged.path.read_bytes() == (workdir / "set.sqsh").read_bytes()
    assert staged.facts()[DATA_METHOD.key] == IMAGE_COPIED


def test_data_expands_in_a_command_objective_and_facts_are_recorded(workdir: Path) -> None:
    data_set(workdir / "set", files=2)
    objective = {"command": ["${interpreter}", "-c", READER, "{data}/value.txt"]}
    spec = staged_spec(workdir, objective=objective)
    outcome = run_trial(task_for(spec, {"x": 0.0}))
    assert outcome.state == "complete", outcome.reason
    assert outcome.values == [3.0]  # 1.5 through {data} + 1.5 through $SWEEPS_DATA
    facts = outcome.facts
    assert facts[DATA_PATH.key] == str(staging_dir(spec) / "copy" / "set")
    assert facts[DATA_REUSED.key] is False and facts[DATA_STAGED_S.key] >= 0
    assert facts[DATA_BYTES.key] == 2 * 4096 + 3 and facts[DATA_METHOD.key] == COPIED


def test_a_sweep_on_the_local_executor_reads_its_data_through_sweeps_data(
    workdir: Path,
) -> None:
    """Two trials, each a job of submitit's LocalExecutor (a process of its own)."""
    data_set(workdir / "set", files=20)
    objective = {"command": ["${interpreter}", "-c", READER, "{data}/value.txt"]}
    spec = staged_spec(workdir, objective=objective, budget={"n_trials": 2})
    prepare_study(spec)
    for slot in (0, 1):
        receipt = run_slot(spec, slot, Path(f"results/t/trials/{slot}.json"))
        assert receipt.state == "COMPLETE"
    trials = sorted(load_study(spec).trials, key=lambda t: t.number)
    assert [t.value for t in trials] == [3.0, 3.0]
    assert [t.user_attrs[DATA_REUSED.key] for t in trials] == [False, True]
    assert trials[1].user_attrs[DATA_STAGED_S.key] == 0.0
    assert {t.user_attrs[DATA_PATH.key] for t in trials} == {
        str(staging_dir(spec) / "copy" / "set")
    }
    marker = json.loads((staging_dir(spec) / "staged.json").read_text())
    assert marker["identity"]["files"] == 21


def test_a_trial_given_the_controllers_identity_reads_no_file_of_the_source(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = data_set(workdir / "set", files=3)
    spec = staged_spec(workdir)
    identity = data_identity(spec)
    assert identity == source_identity(source)
    stage_data(spec, identity)

    def no_walk(*args: object, **kwargs: object) -> None:
        raise AssertionError("the trial walked the source")

    monkeypatch.setattr(os, "walk", no_walk)  # instrumentation: walking would fail the test
    assert stage_data(spec, identity).reused
    assert data_identity(spec) is identity  # the controller walks it once per few minutes


def test_the_controller_hands_each_trial_the_identity(workdir: Path) -> None:
    data_set(workdir / "set", files=2)
    spec = staged_spec(workdir)
    trial = create_slot_trial(prepare_study(spec), 0, 0)
    task = trial_task(spec, trial, 0, 0)
    assert task.data_identity == source_identity(spec.data.stage)
    assert task.data_identity["files"] == 3
    assert task_from_record(spec, task_record(task)) == task  # warm workers get it too
