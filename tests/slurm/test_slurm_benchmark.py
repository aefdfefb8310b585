"""The Slurm comparison benchmark on the real test cluster: every trial sleeps its fixed length
by slot, and the per-trial views add up to the slot time the run had."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slurm, pytest.mark.e2e, pytest.mark.usefixtures("slurm_cluster")]

REPO = Path(__file__).resolve().parents[2]


def test_warm_mode_runs_the_fixed_lengths_and_reports_both_views(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    keep = tmp_path / "runs"
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}:{os.environ.get('PYTHONPATH', '')}"}
    command = [sys.executable, str(REPO / "benchmarks" / "slurm_overhead.py"), "--trials", "3"]
    command += ["--seconds", "1", "--scenarios", "mixed", "--modes", "warm", "--skip-hydra"]
    command += ["--keep", str(keep), "--json", str(out)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["durations"]["mixed"] == [4.0, 16.0, 8.0]
    (run,) = result["runs"]["mixed"]["sweeps-warm"]
    slept = {}
    for path in (keep / "mixed-sweeps-warm-0" / "sleeps").glob("*.json"):
        record = json.loads(path.read_text())
        slept[record["index"]] = record["end"] - record["start"]
    assert sorted(slept) == [0, 1, 2]
    assert slept == pytest.approx({0: 4.0, 1: 16.0, 2: 8.0}, abs=0.5)
    idle = 2 * run["wall_s"] - run["sum_sleep_s"]
    assert run["batch_wait_s"] == 0.0
    assert run["dispatch_cost_s"] == pytest.approx(idle / 3, abs=0.01)
    assert run["including_waits_s"] == run["dispatch_cost_s"]
    assert run["dispatch_cost_s"] > 0
