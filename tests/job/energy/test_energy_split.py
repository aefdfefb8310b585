"""Packed lanes on one GPU: its energy split by overlap in time."""

from __future__ import annotations

import pytest

from sweeps.job.energy import split_by_overlap


def test_overlapping_trials_share_the_time_they_ran_together() -> None:
    # 100 J over 10 s; trial 0 alone for 0-4, with trial 1 for 4-6, trial 1 alone 6-8, idle 8-10.
    shares = split_by_overlap(100.0, (0.0, 10.0), {0: (0.0, 6.0), 1: (4.0, 8.0)})
    assert shares[0] == pytest.approx(40 + 10)
    assert shares[1] == pytest.approx(10 + 20)
    assert sum(shares.values()) == pytest.approx(80)  # the idle 2 s are overhead, no trial's


def test_a_trial_outside_the_window_gets_nothing() -> None:
    shares = split_by_overlap(50.0, (10.0, 20.0), {3: (0.0, 5.0), 4: (10.0, 20.0)})
    assert shares == {3: 0.0, 4: pytest.approx(50.0)}
