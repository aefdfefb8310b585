"""The fault soak, short: 8 trials per dispatch mode on PostgreSQL, one fault of each kind at
seeded random times, re-runs until the budget is done; no trial lost, duplicated, left RUNNING
or failed for good by a fault (``benchmarks/fault_soak.py`` is the long one)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.databases import reachable
from support.soak import COUNTS, JOB_KINDS, WARM_KINDS, run_soak

pytestmark = [pytest.mark.slurm, pytest.mark.e2e, pytest.mark.usefixtures("slurm_cluster")]


@pytest.mark.parametrize("mode", ["job", "warm"])
def test_a_fault_soak_loses_duplicates_and_strands_no_trial(tmp_path: Path, mode: str) -> None:
    if problem := reachable("postgresql"):
        pytest.skip(problem)
    kinds = JOB_KINDS if mode == "job" else WARM_KINDS
    result = run_soak(
        tmp_path, mode, n_trials=8, kinds=kinds, seed=0, gap_s=(2.0, 5.0), timeout_s=240
    )
    rows = result.by_kind()
    details = result.details()
    assert all(rows[kind]["injected"] == 1 for kind in kinds), details
    for kind, row in rows.items():
        found = {name: row[name] for name in COUNTS}
        assert found == dict.fromkeys(COUNTS, 0), f"{kind}: {found}\n{details}"
