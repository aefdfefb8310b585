"""All 108 Bayesmark problems: exact at bayesmark's signature points, refused when unknown,
and the comparison benchmark resumes from its evaluation logs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from support.published import PUBLISHED
from support.specs import REPO

from sweeps.cli import main
from sweeps.objectives.bayesmark import BOSTON, DIABETES, problem

sys.path.insert(0, str(REPO / "benchmarks"))
from _published_bayesmark import (
    BASELINE,
    read_log,
    read_signature,
    sample_losses,
    signature_points,
)
from bayesmark_sweeps import committed_block, stale

needs_published = pytest.mark.skipif(PUBLISHED is None, reason="published baselines not present")
# Deterministic estimators (liblinear, trees, forests, MLPs and boosting draw from the unseeded
# global generator): equal to the published signature.
EXACT = ["kNN_iris_acc", "SVM_iris_acc", "SVM_wine_acc", "kNN_diabetes_mae"]
BOSTON_EXACT = ["kNN_boston_mse", "SVM_boston_mae", "linear_boston_mae", "lasso_boston_mse"]


def test_committed_sweep_files_are_generated_from_the_table() -> None:
    # Without the baseline the committed figures are kept and the rest is checked.
    assert stale(None) == []


@needs_published
def test_committed_figures_are_the_published_baselines() -> None:
    assert PUBLISHED is not None
    baseline = PUBLISHED / "bbo-challenge-baselines" / BASELINE
    assert stale(baseline) == []
    figures = {f["name"]: f for f in committed_block("kNN_breast_acc")["figures"]}
    assert figures["clip"]["value"] == pytest.approx(-421 / 455, abs=1e-12)
    assert figures["mean@15"]["clip"] == figures["clip"]["value"]
    assert figures["mean@15"]["after"] == 15 and figures["median@15"]["after"] == 15


@needs_published
@pytest.mark.parametrize("name", EXACT)
def test_losses_equal_the_published_signature(name: str) -> None:
    assert PUBLISHED is not None
    published = read_signature(PUBLISHED / "bbo-challenge-baselines" / BASELINE, name)
    ours = [problem(point, name) for point in signature_points(name)]
    assert ours == pytest.approx(published, rel=1e-9, abs=1e-12)


@needs_published
@pytest.mark.skipif(not os.environ.get(BOSTON.env), reason=f"{BOSTON.env} not set")
@pytest.mark.parametrize("name", BOSTON_EXACT)
def test_boston_losses_equal_the_published_signature(name: str) -> None:
    assert PUBLISHED is not None
    published = read_signature(PUBLISHED / "bbo-challenge-baselines" / BASELINE, name)
    ours = [problem(point, name) for point in signature_points(name)]
    assert ours == pytest.approx(published, rel=1e-9, abs=1e-12)


def _sweep(tmp_path: Path, name: str) -> Path:
    data = yaml.safe_load(
        (REPO / "config/sweeps/published/bayesmark-kNN_wine_acc.yaml").read_text()
    )
    data["objective"]["args"]["problem"] = name
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("XGB_wine_acc", "unknown model 'XGB'"),
        ("kNN_mnist_acc", "unknown data set 'mnist'"),
        ("kNN_wine_mse", "metric 'mse' is not one of wine's (acc, nll)"),
        ("kNN_wine", "is not MODEL_DATASET_METRIC"),
    ],
)
def test_validate_refuses_an_unknown_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, said: str
) -> None:
    path = _sweep(tmp_path, name)
    assert main(["validate", str(path)]) != 0
    err = capsys.readouterr().err
    assert str(path) in err and "objective.args" in err and repr(name) in err and said in err


def test_validate_refuses_boston_without_its_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(BOSTON.env, raising=False)
    assert main(["validate", "published:bayesmark-kNN_boston_mae"]) != 0
    err = capsys.readouterr().err
    assert "removed from scikit-learn 1.2" in err and BOSTON.env in err and BOSTON.sha256 in err
    wrong = tmp_path / "boston.csv"
    wrong.write_text("506,13\n")
    monkeypatch.setenv(BOSTON.env, str(wrong))  # a file that is not the one: still refused
    assert main(["validate", "published:bayesmark-kNN_boston_mae"]) != 0
    assert "removed from scikit-learn 1.2" in capsys.readouterr().err


def test_validate_prints_that_diabetes_is_approximate(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DIABETES.env, raising=False)
    assert main(["validate", "published:bayesmark-kNN_diabetes_mse"]) == 0
    out = capsys.readouterr().out
    assert "note: problem 'kNN_diabetes_mse' is approximate" in out
    assert "bp and s5" in out and DIABETES.env in out


@needs_published
@pytest.mark.skipif(not os.environ.get(DIABETES.env), reason=f"{DIABETES.env} not set")
@pytest.mark.parametrize("name", ["linear_diabetes_mse", "SVM_diabetes_mse"])
def test_old_diabetes_losses_equal_the_published_signature(name: str) -> None:
    assert PUBLISHED is not None
    published = read_signature(PUBLISHED / "bbo-challenge-baselines" / BASELINE, name)
    ours = [problem(point, name) for point in signature_points(name)]
    assert ours == pytest.approx(published, rel=1e-9, abs=1e-12)


def test_validate_accepts_a_problem_refused_before(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "published:bayesmark-MLP-adam_wine_nll"]) == 0
    assert "valid sweep 'bayesmark-MLP-adam_wine_nll'" in capsys.readouterr().out


def test_every_model_evaluates_on_a_small_problem() -> None:
    # One point per model, so a fixed argument scikit-learn no longer takes fails here.
    for model in ["kNN", "SVM", "DT", "RF", "MLP-adam", "MLP-sgd", "ada", "lasso", "linear"]:
        for name in [f"{model}_iris_nll", f"{model}_diabetes_mse"]:
            loss = problem(signature_points(name)[0], name)
            assert np.isfinite(loss) and loss > 0, name


def test_resumed_draws_are_the_same_and_not_recomputed() -> None:
    stored: dict[int, float] = {}
    first = sample_losses("kNN_iris_acc", 4, 0, store=lambda i, p, loss: stored.update({i: loss}))
    assert stored == dict(enumerate(first))
    seen: list[int] = []
    again = sample_losses(
        "kNN_iris_acc", 6, 0, done=stored, store=lambda i, p, loss: seen.append(i)
    )
    assert again[:4] == first and seen == [4, 5]
    assert again == sample_losses("kNN_iris_acc", 6, 0)


@needs_published
def test_benchmark_sample_runs_stops_and_resumes(tmp_path: Path) -> None:
    """The CI sample: a cheap problem, 21 draws, then a run resumed from a cut log."""
    logs, out = tmp_path / "logs", tmp_path / "out.json"
    command = [
        sys.executable,
        str(REPO / "benchmarks/bayesmark_compare.py"),
        "--problems",
        "kNN_iris_acc",
        "--n-random",
        "21",
        "--jobs",
        "1",
        "--logs",
        str(logs),
        "--out",
        str(out),
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO / "tests")])}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = {r["problem"]: r for r in json.loads(out.read_text())}
    assert set(results) == {"kNN_iris_acc"}
    assert all(r["passed"] for r in results.values())
    log = logs / "kNN_iris_acc.jsonl"
    lines = log.read_text().splitlines()
    assert len(lines) == 21 and len(read_log(log, 0)) == 21
    # A run stopped midway: keep 10 evaluations (and half a line), rerun with the same command.
    log.write_text("\n".join(lines[:10]) + "\n" + lines[10][:7])
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert read_log(log, 0) == {json.loads(x)["draw"]: json.loads(x)["loss"] for x in lines}
    assert json.loads(out.read_text()) == list(results.values())


def test_benchmark_problem_filter_is_globs_over_the_names() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bayesmark_compare", REPO / "benchmarks/bayesmark_compare.py"
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.select(["kNN_iris_*"]) == ["kNN_iris_acc", "kNN_iris_nll"]
    assert len(bench.select(["*_digits_*", "MLP-*"])) == 18 + 24 - 4
    with pytest.raises(SystemExit, match="'XGB_\\*' matches none of the 108"):
        bench.select(["XGB_*"])
    table = bench.report(["kNN_iris_acc", "kNN_boston_mae"], [], {"kNN_boston_mae": "no data"})
    assert "| kNN_iris_acc | not run yet; `python benchmarks/bayesmark_compare.py" in table
    assert "| kNN_boston_mae | refused: no data;" in table
    assert "Reproduce: 0 of 0 run (2 problems; 1 not run yet, 1 refused)." in table
