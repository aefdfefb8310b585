from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from support.specs import REPO, base_spec

from sweeps.cli import main


def test_validate_good_file(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["validate", str(REPO / "config/sweeps/default.yaml")]) == 0
    assert "valid sweep 'digits-mlp'" in capsys.readouterr().out


def test_validate_json(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["validate", str(REPO / "config/sweeps/default.yaml"), "--json"]) == 0
    resolved = json.loads(capsys.readouterr().out)
    assert resolved["sampler"]["args"]["n_startup_trials"] == 6
    assert resolved["pruner"]["args"]["n_warmup_steps"] == 3


def validate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sweeps", "validate", *args], capture_output=True, text=True
    )


def test_validate_bad_file_exits_2_with_key_and_value(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(base_spec(budget={"n_trials": -3})))
    run = validate(str(path))
    assert run.returncode == 2
    assert str(path) in run.stderr
    assert "budget.n_trials = -3" in run.stderr
    assert "Traceback" not in run.stderr


def test_validate_exit_codes_are_those_documented(tmp_path: Path) -> None:
    # docs/reliability.md: 0 valid; 2 for bad input, a malformed file as a misused command.
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(base_spec()))
    assert validate(str(good)).returncode == 0
    not_yaml = tmp_path / "not-yaml.yaml"
    not_yaml.write_text("study: [unclosed\n")
    run = validate(str(not_yaml))
    assert (run.returncode, "not valid YAML" in run.stderr) == (2, True)
    assert validate(str(tmp_path / "absent.yaml")).returncode == 2
    usage = validate()  # no PATH: argparse's usage error
    assert usage.returncode == 2 and "usage: sweeps validate" in usage.stderr
    docs = (REPO / "docs" / "reliability.md").read_text()
    assert "`sweeps validate` exits 2 naming file, key and value" in docs


def test_status_json(make_spec, capsys) -> None:  # type: ignore[no-untyped-def]
    path, _ = make_spec()
    assert main(["study", "prepare", "--spec", str(path)]) == 0
    assert main(["trial", "--spec", str(path), "--slot", "0", "--receipt", "r/0.json"]) == 0
    capsys.readouterr()
    assert main(["status", "--spec", str(path), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["counts"]["COMPLETE"] == 1
    assert status["slots_done"] == 1 and status["budget"] == 4
    assert status["best"][0]["number"] == 0
    assert main(["status", "--spec", str(path)]) == 0
    assert "1/4 trial slots done" in capsys.readouterr().out


def test_status_of_a_shortened_run_counts_against_its_budget(make_spec, capsys) -> None:  # type: ignore[no-untyped-def]
    path, _ = make_spec()  # budget.n_trials: 4
    assert main(["study", "prepare", "--spec", str(path), "--n-trials", "2"]) == 0
    short = ["--spec", str(path), "--n-trials", "2"]
    assert main(["trial", *short, "--slot", "0", "--receipt", "r/0.json"]) == 0
    capsys.readouterr()
    assert main(["status", "--spec", str(path)]) == 0  # by hand, without --n-trials
    shown = " ".join(capsys.readouterr().out.split())  # the console may wrap the line
    assert "1/2 trial slots done (budget shortened from 4 to 2 trials)" in shown
    assert main(["status", "--spec", str(path), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["trial_budget"] == {"n_trials": 2, "sweep_file": 4, "shortened": True}


def test_status_of_unknown_study_is_a_clear_error(make_spec, capsys) -> None:  # type: ignore[no-untyped-def]
    path, _ = make_spec()
    assert main(["status", "--spec", str(path)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_validate_merges_site_files(capsys) -> None:  # type: ignore[no-untyped-def]
    site = REPO / "profiles" / "saga" / "site.yaml"
    assert main(["validate", str(REPO / "config/sweeps/default.yaml"), "--site", str(site)]) == 0
    assert "executor slurm" in capsys.readouterr().out


def test_version_is_printed() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "sweeps", "--version"], capture_output=True, text=True
    )
    assert run.returncode == 0
    assert run.stdout.startswith("sweeps ")


def test_output_cut_short_by_its_reader_is_not_an_error() -> None:
    # `true` exits without reading: every write of the listing meets a closed pipe.
    command = f"{sys.executable} -m sweeps profiles list | true"
    run = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "BrokenPipe" not in run.stderr and "Traceback" not in run.stderr


def test_a_reproducible_slot_before_its_batch_is_a_clear_error(make_spec, capsys) -> None:  # type: ignore[no-untyped-def]
    path, _ = make_spec(reproducible=True)
    assert main(["study", "prepare", "--spec", str(path)]) == 0
    code = main(["trial", "--spec", str(path), "--slot", "0", "--receipt", "r.json"])
    assert code == 2
    err = capsys.readouterr().err
    assert "run batch 0 first" in err and "Traceback" not in err


def test_status_json_shows_totals_and_budgets_and_never_writes(make_spec, capsys) -> None:  # type: ignore[no-untyped-def]
    from sweeps.controller.slot import tell_outcome
    from sweeps.job.task import TrialOutcome
    from sweeps.study import load_study

    budget = {"n_trials": 4, "max_billed_gpu_hours": 2, "max_energy_kwh": 1, "deadline": "2h"}
    path, spec = make_spec(budget=budget)
    assert main(["study", "prepare", "--spec", str(path)]) == 0
    study = load_study(spec)
    figures = [
        {"cost": {"billed_gpu_hours": 0.5}, "energy": {"wh": 150.0}, "slurm": {"queue_wait_s": 60}},
        {"cost": {"billed_gpu_hours": 0.25}, "slurm": {"queue_wait_s": 30}},
    ]
    for facts in figures:
        tell_outcome(study, study.ask(), TrialOutcome("complete", values=[1.0], facts=facts))
    db = Path(spec.storage_url.removeprefix("sqlite:///"))
    before = db.read_bytes()
    capsys.readouterr()
    assert main(["status", "--spec", str(path), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    totals = status["totals"]
    assert (totals["billed_gpu_hours"], totals["trials_billed"]) == (0.75, 2)
    assert (totals["energy_wh"], totals["trials_measured"]) == (150.0, 1)
    assert totals["queue_wait_s"] == 90
    budgets = status["budgets"]
    assert budgets["max_billed_gpu_hours"] == {
        "limit": 2.0,
        "spent": 0.75,
        "left": 1.25,
        "unit": "GPU-hours",
        "exhausted": False,
    }
    assert (budgets["max_energy_kwh"]["spent"], budgets["max_energy_kwh"]["left"]) == (0.15, 0.85)
    assert 1.99 < budgets["deadline"]["left"] <= 2.0
    assert main(["status", "--spec", str(path)]) == 0
    out = capsys.readouterr().out
    assert "spent: 0.75 billed GPU-hours (2 trial(s)), energy 150 Wh" in out
    assert "budget max_billed_gpu_hours: 0.75 of 2.0 GPU-hours spent, 1.25 GPU-hours left" in out
    assert db.read_bytes() == before  # status only reads


def test_outcome_exits_1_with_one_line_until_a_trial_completed(make_spec, capsys) -> None:  # type: ignore[no-untyped-def]
    from sweeps.controller.slot import tell_outcome
    from sweeps.job.task import TrialOutcome
    from sweeps.study import load_study

    path, spec = make_spec(budget={"n_trials": 2})
    assert main(["outcome", "--spec", str(path)]) == 2  # no study yet: nothing to judge
    assert "run the sweep first" in capsys.readouterr().err
    assert main(["study", "prepare", "--spec", str(path)]) == 0
    study = load_study(spec)
    for size in (2500, 3279.2):
        reason = f"RuntimeError: CUDA out of memory. Tried to allocate {size} MiB"
        tell_outcome(study, study.ask(), TrialOutcome("fail", reason=reason))
    capsys.readouterr()
    log = path.parent / "logs" / "outcome.log"
    assert main(["outcome", "--spec", str(path), "--log", str(log)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("sweeps: no trial of sweep 't' succeeded")
    assert log.read_text() == err
    assert "all with RuntimeError: CUDA out of memory. Tried to allocate 3279.2 MiB" in err
    assert "budget.n_trials (2) is spent" in err
    tell_outcome(study, study.ask(), TrialOutcome("complete", values=[1.0]))
    assert main(["outcome", "--spec", str(path)]) == 0
    assert capsys.readouterr().out == "t: 1 trial(s) complete\n"
