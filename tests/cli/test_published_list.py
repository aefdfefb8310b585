"""``sweeps published``: every shipped published sweep on one line (name, trials, run time on
one core from the measured data file, description), filtered by globs, as JSON too; it only
reads."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import pytest

from sweeps.cli import main
from sweeps.cli.published import NOT_MEASURED, duration
from sweeps.shipped import published_sweeps, published_times, published_times_path
from sweeps.spec import load_spec


def table(out: str) -> tuple[str, dict[str, list[str]]]:
    """The meaning line, and each sweep's row split into its columns."""
    meaning, header, *lines = out.splitlines()
    assert header.split()[:2] == ["NAME", "(published:NAME)"]
    rows = {}
    for line in lines:
        name, trials, rest = line.split(maxsplit=2)
        time, _, description = rest.partition("  ")
        rows[name] = [trials, time.strip(), description.strip()]
    return meaning, rows


def expected_run_s(name: str, n_trials: int) -> float | None:
    """The run time the data file's figures give (start + n x (objective + workflow))."""
    data = published_times()
    entry = data.get("sweeps", {}).get(name)
    if entry is None:
        return None
    workflow = data.get("workflow") or {}
    per_trial = entry["s_per_trial"] + workflow.get("s_per_trial", 0.0)
    return float(workflow.get("start_s", 0.0) + n_trials * per_trial)


def test_every_shipped_sweep_has_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["published"]) == 0
    meaning, rows = table(capsys.readouterr().out)
    assert meaning.startswith("run time, one core: ")
    shipped = published_sweeps()
    assert list(rows) == list(shipped)
    for name, (trials, time, description) in rows.items():
        spec = load_spec(shipped[name])
        assert trials == str(spec.budget.n_trials)
        assert description == " ".join(spec.description.split())
        assert time == duration(expected_run_s(name, spec.budget.n_trials))


def test_the_data_file_names_only_shipped_sweeps_and_measures_some() -> None:
    data = json.loads(published_times_path().read_text())
    measured = data["sweeps"]
    assert measured and set(measured) <= set(published_sweeps())
    assert all(entry["s_per_trial"] > 0 and entry["trials"] >= 1 for entry in measured.values())
    assert data["workflow"]["s_per_trial"] > 0
    runs = data["runs"]
    assert all(run["cpu"] and run["date"] and run["command"] for run in runs)
    assert {entry["run"] for entry in measured.values()} | {data["workflow"]["run"]} <= set(
        range(len(runs))
    )


def test_globs_filter_and_json_gives_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    globs = ["bayesmark-kNN_*", "*_iris_acc"]
    assert main(["published", *globs, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    names = [row["name"] for row in listed["sweeps"]]
    assert names == [n for n in published_sweeps() if any(fnmatch.fnmatch(n, g) for g in globs)]
    assert listed["run_time"].startswith("run time, one core: ")
    for row in listed["sweeps"]:
        assert row["run_s"] == pytest.approx(expected_run_s(row["name"], row["n_trials"]))


def test_a_sweep_not_in_the_data_file_is_not_measured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "published_times.json"
    data.write_text(
        json.dumps(
            {
                "runs": [{"cpu": "a test CPU", "date": "2026-01-01"}],
                "workflow": {"s_per_trial": 2.0, "start_s": 10.0},
                "sweeps": {"bayesmark-kNN_iris_acc": {"s_per_trial": 0.5, "trials": 3}},
            }
        )
    )
    monkeypatch.setattr("sweeps.shipped.published_times_path", lambda: data)
    assert main(["published", "bayesmark-kNN_iris_*"]) == 0
    meaning, rows = table(capsys.readouterr().out)
    assert "on a test CPU, 2026-01-01" in meaning
    assert "start (10 s) + n_trials x" in meaning and "2.0 s per trial" in meaning
    n = load_spec("published:bayesmark-kNN_iris_acc").budget.n_trials
    assert rows["bayesmark-kNN_iris_acc"][1] == duration(10.0 + n * 2.5)
    assert rows["bayesmark-kNN_iris_nll"][1] == NOT_MEASURED
    monkeypatch.setattr("sweeps.shipped.published_times_path", lambda: tmp_path / "none.json")
    assert main(["published", "bayesmark-kNN_iris_acc"]) == 0
    _, rows = table(capsys.readouterr().out)
    assert rows["bayesmark-kNN_iris_acc"][1] == NOT_MEASURED


def test_no_match_is_an_error_and_nothing_is_written(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = published_times_path().parent
    before = {p: p.stat().st_mtime_ns for p in package.glob("*") if p.is_file()}
    assert main(["published", "nothing-*"]) == 2
    assert capsys.readouterr().err == (
        "sweeps published: error: no published sweep matches 'nothing-*'; "
        "'sweeps published' lists them all\n"
    )
    assert main(["published"]) == 0
    assert list(workdir.iterdir()) == []
    assert {p: p.stat().st_mtime_ns for p in package.glob("*") if p.is_file()} == before


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.2, "1 s"), (45.4, "45 s"), (200, "3 min 20 s"), (7500, "2 h 05 min"), (None, NOT_MEASURED)],
)
def test_durations_read_plainly(seconds: float | None, shown: str) -> None:
    assert duration(seconds) == shown
