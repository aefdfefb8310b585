"""benchmarks/bayesmark_streams.py: independent streams of a published sweep's random draws,
logged per seed and resumed, pooled, and pools of the published pool's size drawn from them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from support.published import PUBLISHED

REPO = Path(__file__).resolve().parents[2]


def run_streams(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO / "benchmarks")]),
    }
    command = [
        sys.executable, "benchmarks/bayesmark_streams.py", "--problems", "kNN_iris_acc",
        "--streams", "2", "--n-random", "9", "--pools", "5,50", "--jobs", "1",
        "--logs", str(tmp_path / "logs"), "--published", str(PUBLISHED),
        "--json", str(tmp_path / "streams.json"), "--out", str(tmp_path / "streams.md"),
    ]  # fmt: skip
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_streams_are_logged_per_seed_pooled_and_resumed(tmp_path: Path) -> None:
    done = run_streams(tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads(line) for line in (tmp_path / "logs" / "kNN_iris_acc.jsonl").open()]
    assert sorted((r["seed"], r["draw"]) for r in rows) == [
        (s, d) for s in (0, 1) for d in range(9)
    ]
    figures = json.loads((tmp_path / "streams.json").read_text())
    (problem,) = figures
    seeds = [s["seed"] for s in problem["streams"]]
    assert seeds == [0, 1, -1] and problem["streams"][-1]["n"] == 18  # two streams, then pooled
    losses = {s: [r["loss"] for r in rows if r["seed"] == s] for s in (0, 1)}
    assert losses[0] != losses[1]  # independent streams, not one stream twice
    assert [p["size"] for p in problem["pools"]] == [5, 50]
    for pool in problem["pools"]:
        shares = [pool["median"], *pool["expected"].values()]
        assert all(0.0 <= share <= 1.0 for share in shares)
        assert pool["noise"] == (min(shares) >= 0.025)
    table = (tmp_path / "streams.md").read_text()
    assert "| pooled | 18 |" in table and "| seed 1 | 9 |" in table

    again = run_streams(tmp_path)  # everything is in the logs: nothing is drawn again
    assert again.returncode == 0, again.stderr[-3000:]
    assert len((tmp_path / "logs" / "kNN_iris_acc.jsonl").read_text().splitlines()) == 18
