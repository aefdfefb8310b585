"""A ``sweeps init`` project runs other sweeps: a sweep file of its own, whose objective (the
project's train.py) runs in the project directory, and a published sweep named without a path."""

from __future__ import annotations

import csv
from pathlib import Path

import optuna
import pytest
import yaml
from support.html_tables import html_records, html_tables, section
from support.workflow import package_env, run_snakemake

from sweeps.cli import main
from sweeps.spec import load_spec

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


def test_a_project_runs_a_shortened_published_sweep_beside_its_figures(tmp_path: Path) -> None:
    """A published sweep named without a path, its budget of 15 shortened: first to 2 trials by
    a site override, then to 6 by ``n_trials=6`` over it, which resumes the same study in one
    run (no job's command changes). report.html holds the side-by-side table of the published
    figures and the run's, saying so."""
    proj = tmp_path / "proj"
    assert main(["init", str(proj)]) == 0
    (proj / "small.yaml").write_text(yaml.safe_dump({"budget": {"n_trials": 2}}))
    name = "bayesmark-kNN_iris_acc"
    full = load_spec(f"published:{name}").budget.n_trials
    snakemake(proj, "--config", f"sweep=published:{name}", "site_overrides=small.yaml")
    with (proj / "results" / name / "trials.csv").open() as rows:
        assert [row["state"] for row in csv.DictReader(rows)] == ["COMPLETE", "COMPLETE"]
    page = (proj / "results" / name / "report.html").read_text()
    assert f"shortened from {full} to 2 trials" in section(page, "Against the published figures")
    snakemake(
        proj, "--config", f"sweep=published:{name}", "site_overrides=small.yaml", "n_trials=6"
    )
    with (proj / "results" / name / "trials.csv").open() as rows:
        assert [row["state"] for row in csv.DictReader(rows)] == ["COMPLETE"] * 6
    page = (proj / "results" / name / "report.html").read_text()
    side_by_side = section(page, "Against the published figures")
    records = html_records(html_tables(side_by_side)[0])
    figures = load_spec(f"published:{name}").published
    assert figures is not None
    assert [r["figure"] for r in records] == [f.name for f in figures.figures]
    assert {"published", "this run", "difference", "verdict"} <= set(records[0])
    clip = next(r for r in records if r["figure"] == "clip")
    assert clip["verdict"] in ("reproduces", "does not reproduce")  # 6 draws: a verdict
    assert clip["this run"] not in ("", "-")
    assert next(r for r in records if r["figure"] == "mean@15")["verdict"] == (
        "too short to compare"
    )
    said = f"shortened from {full} to 6 trials"
    assert f"<p>budget {said} (n_trials=6;" in side_by_side
    assert "this run: 6 of 6 trials ended in slot order" in side_by_side
    assert html_tables(section(page, "Where the sweep stands"))[0][1] == ["budget shortened", said]


@pytest.mark.parametrize("value", ["0", "abc", "16"])
def test_a_wrong_n_trials_is_refused_before_anything_runs(tmp_path: Path, value: str) -> None:
    proj = tmp_path / "proj"
    assert main(["init", str(proj)]) == 0
    name = "bayesmark-kNN_iris_acc"
    done = run_snakemake(
        proj,
        "--cores",
        "1",
        "--config",
        f"sweep=published:{name}",
        f"n_trials={value}",
        env=package_env(),
        timeout=300,
    )
    assert done.returncode != 0
    shown = repr(value) if value == "abc" else value  # Snakemake reads numbers as numbers
    assert f"{name}.yaml: refused n_trials" in done.stderr
    assert f"  n_trials = {shown}: " in done.stderr
    assert not (proj / "results").exists()  # no study, no job
