"""``sweeps compare``: a published sweep's run beside its figures, read-only; refused for other
sweeps. The run here evaluates the real Bayesmark objective, asked by the sweep's sampler."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.html_tables import html_records, html_tables, section

from sweeps.cli import main
from sweeps.shipped import published_sweeps
from sweeps.spec import SweepSpec, load_spec
from sweeps.spec.space import distributions
from sweeps.study import load_study, prepare_study

NAME = "bayesmark-kNN_wine_acc"


def run_trials(spec: SweepSpec, n: int) -> None:
    """``n`` trials of the sweep in this process: asked by its sampler, the real objective."""
    from sweeps.objectives.bayesmark import problem

    study = prepare_study(spec)
    dists = distributions(spec)
    for _ in range(n):
        trial = study.ask(dists)
        study.tell(trial, problem(dict(trial.params), **spec.objective.args))


def files(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


def test_every_shipped_published_sweep_carries_its_figures() -> None:
    for name, path in published_sweeps().items():
        published = load_spec(path).published
        assert published is not None and published.figures, name


def test_compare_prints_the_table_of_a_run_and_writes_nothing(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sklearn")
    spec = load_spec(f"published:{NAME}")
    run_trials(spec, 15)
    before = files(workdir)
    study_before = load_study(spec, check=False)
    trials_before = [(t.number, t.state, t.values) for t in study_before.trials]
    attrs_before = dict(study_before.user_attrs)
    capsys.readouterr()
    assert main(["compare", "--spec", f"published:{NAME}"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{NAME} against its published figures\n")
    assert "this run: 15 of 15 trials ended in slot order (15 complete" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line}
    assert lines["clip"].endswith("reproduces")
    assert lines["mean@15"].endswith("not comparable")
    assert "published: RandomSampler, 100 trials per run; runs: not recorded" in out
    assert main(["compare", "--spec", f"published:{NAME}", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    verdicts = {r["figure"]: r["verdict"] for r in report["rows"]}
    assert verdicts == {
        "clip": "reproduces",
        "mean@15": "not comparable",
        "median@15": "not comparable",
        "best": "not comparable",
    }
    clip = next(r for r in report["rows"] if r["figure"] == "clip")
    assert clip["published"] == -0.6980295566502464
    low, high = clip["bounds"]
    assert low <= clip["published"] <= high and low <= clip["ours"] <= high
    # Read-only: the same files, the same trials and study attributes.
    assert files(workdir) == before
    study = load_study(spec, check=False)
    assert [(t.number, t.state, t.values) for t in study.trials] == trials_before
    assert dict(study.user_attrs) == attrs_before


def test_report_of_a_published_sweep_prints_and_writes_the_table(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sklearn")
    spec = load_spec(f"published:{NAME}")
    run_trials(spec, 7)
    assert main(["report", "--spec", f"published:{NAME}"]) == 0
    out = capsys.readouterr().out
    assert f"{NAME} against its published figures" in out
    assert "7 trials run, the figure needs 15" in out
    page = (workdir / "results" / NAME / "report.html").read_text()
    records = html_records(html_tables(section(page, "Against the published figures"))[0])
    verdicts = {r["figure"]: r["verdict"] for r in records}
    assert verdicts["mean@15"] == "too short to compare"
    assert verdicts["clip"] in ("reproduces", "does not reproduce")  # 7 draws: a verdict


def test_a_shortened_run_says_so_beside_the_comparison(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run given n_trials=6 of the file's 15, compared by hand later (no n_trials given)."""
    pytest.importorskip("sklearn")
    full = load_spec(f"published:{NAME}").budget.n_trials
    run_trials(load_spec(f"published:{NAME}", n_trials=6), 6)
    said = f"shortened from {full} to 6 trials"
    capsys.readouterr()
    assert main(["compare", "--spec", f"published:{NAME}"]) == 0
    out = capsys.readouterr().out
    header = out.split("\n\n")[0].splitlines()
    assert "this run: 6 of 6 trials ended in slot order (6 complete" in out
    assert [line for line in header if said in line] == [
        f"budget {said} (n_trials=6; the sweep file's budget.n_trials is {full}): a figure of "
        "more trials than the run has is too short to compare"
    ]
    assert main(["compare", "--spec", f"published:{NAME}", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["budget"] == {"n_trials": 6, "sweep_file": full, "shortened": True}
    assert said in report["shortened"]
    assert main(["report", "--spec", f"published:{NAME}"]) == 0
    assert f"budget {said} (n_trials=6)" in capsys.readouterr().out
    page = (workdir / "results" / NAME / "report.html").read_text()
    standing = html_tables(section(page, "Where the sweep stands"))[0]  # no header row
    assert standing[:2] == [
        ["budget (trials)", "6"],
        ["budget shortened", said],
    ]
    assert said in section(page, "Against the published figures")


def test_compare_a_sweep_without_figures_fails_in_one_line(
    make_spec: Any, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = make_spec()
    assert main(["compare", "--spec", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"sweeps compare: error: {path}: sweep 't' has no published figures "
        "(no 'published:' block)\n"
    )
    assert not (workdir / "results").exists()


def test_compare_before_any_run_creates_no_study(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compare", "--spec", f"published:{NAME}"]) == 2
    err = capsys.readouterr().err
    assert "no study yet: results/bayesmark-kNN_wine_acc/study.db does not exist" in err
    assert not (workdir / "results").exists()


def test_compare_exits_1_when_a_figure_does_not_reproduce(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = load_spec(f"published:{NAME}")
    study = prepare_study(spec)
    dists = distributions(spec)
    for _ in range(15):  # losses far above the published median
        study.tell(study.ask(dists), 0.0)
    assert main(["compare", "--spec", f"published:{NAME}"]) == 1
    out = capsys.readouterr().out
    clip = next(line for line in out.splitlines() if line.startswith("clip "))
    assert clip.endswith("does not reproduce")


def test_without_spec_the_projects_config_names_the_sweep(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "config").mkdir()
    (workdir / "config" / "config.yaml").write_text(f"sweep: published:{NAME}\nsite: null\n")
    spec = load_spec(f"published:{NAME}")
    study = prepare_study(spec)
    dists = distributions(spec)
    for _ in range(3):
        study.tell(study.ask(dists), -0.7)
    assert main(["compare"]) == 0
    assert "3 of 15 trials ended in slot order" in capsys.readouterr().out
    assert main(["status", "--json"]) == 0  # status reads the same sweep
    assert json.loads(capsys.readouterr().out)["study"] == NAME
