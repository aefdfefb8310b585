"""A ``sweeps init`` project runs other sweeps: a sweep file of its own, whose objective (the
project's train.py) runs in the project directory, and a published sweep named without a path."""

from __future__ import annotations

import csv
from pathlib import Path

import optuna
import pytest
import yaml
from support.workflow import package_env, run_snakemake

from sweeps.cli import main

pytestmark = pytest.mark.e2e


def snakemake(proj: Path, *args: str) -> None:
    done = run_snakemake(proj, "--cores", "2", *args, env=package_env(), timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-4000:]


def test_a_project_runs_another_sweep_file(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    assert main(["init", str(proj)]) == 0
    sweep = yaml.safe_load((proj / "sweeps" / "example.yaml").read_text())
    sweep.update(study="other", budget={"n_trials": 3})
    (proj / "sweeps" / "other.yaml").write_text(yaml.safe_dump(sweep))
    snakemake(proj, "--config", "sweep=sweeps/other.yaml")
    study = optuna.load_study(
        study_name="other", storage=f"sqlite:///{proj}/results/other/study.db"
    )
    assert [t.state for t in study.trials].count(optuna.trial.TrialState.COMPLETE) >= 2
    assert len(study.trials) == 3
    assert all(t.intermediate_values for t in study.trials)  # train.py reports each epoch
    assert not (proj / "results" / "example").exists()


def test_a_project_runs_a_published_sweep_by_name(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    assert main(["init", str(proj)]) == 0
    (proj / "small.yaml").write_text(yaml.safe_dump({"budget": {"n_trials": 2}}))
    name = "bayesmark-kNN_wine_acc"
    snakemake(proj, "--config", f"sweep=published:{name}", "site_overrides=small.yaml")
    with (proj / "results" / name / "trials.csv").open() as rows:
        states = [row["state"] for row in csv.DictReader(rows)]
    assert states == ["COMPLETE", "COMPLETE"]
