"""A command trial's own directory: ``{trial_dir}`` and ``objective.cwd: "{trial_dir}"``, run
in-process (the command is a real child process: tests/support/programs/save_model.py, copied
into the project as its ``train.py``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sweeps.job.objective_check import check_objective
from sweeps.job.runner import run_trial
from sweeps.job.task import TrialOutcome, TrialTask
from sweeps.spec import SpecError, SweepSpec
from sweeps.storage.optuna_internals import trial_id_of
from sweeps.study import prepare_study
from sweeps.study.slots import create_slot_trial

SAVE_MODEL = Path(__file__).resolve().parents[1] / "support" / "programs" / "save_model.py"


def run_in_slot(spec: SweepSpec, slot: int, x: float) -> tuple[TrialOutcome, int]:
    """Run a new trial of ``slot`` with parameter ``x``; its outcome and number."""
    trial = create_slot_trial(prepare_study(spec), slot=slot, attempt=0)
    task = TrialTask(
        spec=spec,
        trial_id=trial_id_of(trial),
        number=trial.number,
        slot=slot,
        attempt=0,
        params={"x": x},
        seed=0,
        checkpoint_dir="ckpt",
    )
    return run_trial(task), trial.number


def saved(project: Path, number: int) -> dict[str, object]:
    record: dict[str, object] = json.loads((runs(project) / str(number) / "model.pt").read_text())
    return record


def runs(project: Path) -> Path:
    return project.resolve() / "results" / "t" / "trial-runs"


def test_trials_run_in_their_own_directories_with_the_projects_script(make_spec, workdir) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(SAVE_MODEL, workdir / "train.py")
    objective = {
        "command": "${interpreter} train.py --x {x} --save model.pt",
        "cwd": "{trial_dir}",
        "metrics_file": "metrics.json",
    }
    _, spec = make_spec(objective=objective)
    ran = [run_in_slot(spec, slot, x) for slot, x in ((0, 2.0), (1, 3.0))]
    assert [outcome.values for outcome, _ in ran] == [[4.0], [9.0]]
    for _, number in ran:
        own = runs(workdir) / str(number)
        assert saved(workdir, number)["cwd"] == str(own) == saved(workdir, number)["trial_dir"]
        assert (own / "metrics.json").is_file()  # the metrics file is the trial's own too
    assert not (workdir / "model.pt").exists()


def test_by_default_the_command_runs_in_the_project_and_names_its_directory(
    make_spec, workdir
) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(SAVE_MODEL, workdir / "train.py")
    command = (
        "${interpreter} train.py --save {trial_dir}/model.pt --data {project_dir}/data "
        "--tag {trial_number}-{slot}"
    )
    _, spec = make_spec(objective={"command": command})
    outcome, number = run_in_slot(spec, 1, 2.0)
    assert outcome.state == "complete"
    record = saved(workdir, number)
    assert record["cwd"] == str(workdir.resolve())
    assert record["argv"] == [
        "--save",
        str(runs(workdir) / str(number) / "model.pt"),
        "--data",
        f"{workdir.resolve()}/data",
        "--tag",
        f"{number}-1",
    ]


def test_the_trials_placeholders_pass_validation_and_unknown_ones_are_refused(make_spec) -> None:  # type: ignore[no-untyped-def]
    command = "python t.py {trial_dir} {trial_number} {slot} {project_dir}"
    make_spec(objective={"command": command, "cwd": "{trial_dir}/run"})
    with pytest.raises(SpecError) as err:
        make_spec(objective={"command": "python t.py --out {trial_path}"})
    assert "unknown placeholder {trial_path}" in str(err.value)
    with pytest.raises(SpecError) as err:
        make_spec(objective={"command": "python t.py", "cwd": "runs/{x}"})
    assert "objective.cwd = 'runs/{x}'" in str(err.value)
    assert "unknown placeholder {x} in 'runs/{x}'" in str(err.value)


def test_validate_finds_the_projects_script_for_a_command_run_in_its_trial_dir(
    make_spec, workdir
) -> None:  # type: ignore[no-untyped-def]
    objective = {"command": "${interpreter} train.py --save model.pt", "cwd": "{trial_dir}"}
    _, spec = make_spec(objective=objective)
    with pytest.raises(
        ValueError, match=r"script 'train.py' is not a file in \S+/trial-runs/0 or "
    ):
        check_objective(spec, must_import=True)
    shutil.copy(SAVE_MODEL, workdir / "train.py")
    assert check_objective(spec, must_import=True) is None
