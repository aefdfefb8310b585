"""The skorch notebook grid: one seed of the full grid lands in the published band."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from sweeps.published.skorch import BAND, grid_points, mean_ranks, run_grid

pytestmark = pytest.mark.torch


def test_grid_has_the_notebooks_sixteen_points() -> None:
    points = grid_points()
    assert len(points) == 16
    assert {p["lr"] for p in points} == {0.05, 0.1} and {p["nesterov"] for p in points} == {
        False,
        True,
    }


def test_one_seed_of_the_grid_matches_the_published_structure() -> None:
    run = run_grid(seed=0)
    assert BAND[0] <= run.best <= BAND[1]
    assert run.winner["dropout"] == 0.0
    ranks = mean_ranks([run])
    dropout0 = [rank for key, rank in ranks.items() if key[2] == 0.0]
    assert sum(dropout0) / len(dropout0) < 8.5  # dropout=0 configurations rank higher
    again = run_grid(
        seed=0,
        points=[
            dict(zip(["lr", "num_units", "dropout", "nesterov"], k, strict=True))
            for k in list(run.scores)[:2]
        ],
    )
    assert list(again.scores.values()) == list(run.scores.values())[:2]  # seeded: repeatable
