"""benchmarks/published_times.py times a shipped sweep's own trials on one core, and leaves the
package's data file alone unless asked to write it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sweeps.shipped import published_times_path

REPO = Path(__file__).resolve().parents[2]


def test_it_times_a_sweeps_trials_and_writes_only_its_report(tmp_path: Path) -> None:
    data = published_times_path()
    before = data.read_bytes()
    out = tmp_path / "times.md"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "published_times.py"),
            "--sweeps",
            "bayesmark-kNN_iris_a*",
            "--trials",
            "2",
            "--no-workflow",
            "--out",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(out.with_suffix(".json").read_text())["figures"]
    assert list(figures["sweeps"]) == ["bayesmark-kNN_iris_acc"]
    entry = figures["sweeps"]["bayesmark-kNN_iris_acc"]
    assert entry["trials"] == 2 and entry["s_per_trial"] > 0
    assert figures["workflow"] is None
    assert "1 usable (affinity)" in out.read_text()  # pinned to one core
    assert data.read_bytes() == before
