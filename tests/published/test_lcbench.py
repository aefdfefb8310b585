"""The LCBench surrogate: the published random-search reference and a pruner that prunes."""

from __future__ import annotations

import sys

import pytest
from support.published import PUBLISHED

pytest.importorskip("onnxruntime")
pytestmark = pytest.mark.skipif(
    PUBLISHED is None or not (PUBLISHED / "yahpo-lcbench" / "model.onnx").exists(),
    reason="the LCBench surrogate is not present",
)

from support.specs import REPO  # noqa: E402

sys.path.insert(0, str(REPO / "benchmarks"))
from _published_lcbench import (  # noqa: E402
    REFERENCE,
    expected_best_accuracy,
    load_sweep,
    random_final_accuracies,
    run,
)


def model_dir() -> str:
    assert PUBLISHED is not None
    return str(PUBLISHED / "yahpo-lcbench")


def test_random_search_matches_the_published_reference() -> None:
    finals = random_final_accuracies(load_sweep(), "167168", 1500, seed=1, model_dir=model_dir())
    assert expected_best_accuracy(finals, 10) == pytest.approx(REFERENCE["167168"][10], abs=1.5)
    assert finals.max() <= REFERENCE["167168"]["max"] + 1.0


def test_successive_halving_saves_epochs_on_learning_curves() -> None:
    spec = load_sweep()
    full = run(spec, "167168", "TPESampler", 20, seed=0, prune=False, model_dir=model_dir())
    pruned = run(spec, "167168", "TPESampler", 20, seed=0, prune=True, model_dir=model_dir())
    assert full.epochs == 20 * 52 and full.pruned == 0
    assert pruned.pruned > 0 and pruned.epochs < full.epochs


def test_the_sweep_file_carries_the_reference_of_its_instance() -> None:
    published = load_sweep().published
    assert published is not None and published.trials == 20000
    figures = {f.name: f for f in published.figures}
    reference = REFERENCE["167168"]
    assert figures["max"].value == reference["max"] and figures["max"].after == 20000
    for n in (10, 50, 100):
        figure = figures[f"E[best of {n}]"]
        assert (figure.statistic, figure.after, figure.value) == ("mean_best", n, reference[n])
