"""The Slurm comparison's arithmetic: batch waits come out of dispatch cost, sleeps out of both."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from _waits import (
    EQUAL,
    MIXED,
    MIXED_CYCLE,
    JobEnd,
    batch_waits,
    durations_for,
    end_drain,
    medians,
    restart_gaps,
    summarise,
)


def test_every_tool_gets_the_same_lengths_by_trial_index() -> None:
    assert durations_for(EQUAL, 3, 10.0) == [10.0, 10.0, 10.0]
    mixed = durations_for(MIXED, 10)
    assert mixed[:8] == list(MIXED_CYCLE)
    assert mixed[8:] == list(MIXED_CYCLE[:2])
    assert durations_for(MIXED, 16) == durations_for(MIXED, 16)
    assert sum(MIXED_CYCLE) / len(MIXED_CYCLE) == 10.0


def test_an_unknown_scenario_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'uneven'"):
        durations_for("uneven", 4)


def test_a_job_waits_for_the_last_job_of_its_own_batch_only() -> None:
    jobs = [
        JobEnd("7", 100.0),
        JobEnd("7", 104.5),  # the batch's last: waits for nobody
        JobEnd("8", 110.0),
        JobEnd("8", 111.0),
    ]
    assert batch_waits(jobs) == [4.5, 0.0, 1.0, 0.0]


def test_end_drain_counts_the_other_slots_idle_after_their_last_trial() -> None:
    assert end_drain([1.0, 5.0, 9.0, 10.0, 12.0], slots=2) == 2.0
    assert end_drain([1.0, 5.0, 9.0, 10.0, 12.0], slots=3) == 5.0
    assert end_drain([], slots=2) == 0.0


def test_dispatch_cost_takes_out_sleeps_and_batch_waits() -> None:
    # 2 slots for 30 s = 60 slot-s; 4 trials slept 40 s; 6 s of batch waits; restarts 1 and 3 s.
    figures = summarise(wall=30.0, sleeps=[10.0] * 4, waits=6.0, gaps=[1.0, 3.0], slots=2, trials=4)
    assert figures["including_waits_s"] == 5.0  # (60 - 40) / 4
    assert figures["dispatch_cost_s"] == 3.5  # (60 - 40 - 6) / 4
    assert figures["efficiency"] == pytest.approx(40 / 60, abs=1e-4)
    assert figures["restart_gap_s"] == 2.0
    assert figures["start_and_exit_s"] == 10.0  # 60 - 40 - 6 - (1 + 3)


def test_medians_are_per_figure_with_the_dispatch_cost_range() -> None:
    rounds = [
        {"wall_s": 10.0, "dispatch_cost_s": 2.0},
        {"wall_s": 30.0, "dispatch_cost_s": 1.0},
        {"wall_s": 20.0, "dispatch_cost_s": 3.0},
    ]
    m = medians(rounds)
    assert m["wall_s"] == 20.0
    assert m["dispatch_cost_s"] == 2.0
    assert (m["dispatch_cost_min_s"], m["dispatch_cost_max_s"]) == (1.0, 3.0)


def test_restart_gaps_pair_each_later_start_with_the_slot_freed_before_it() -> None:
    # Two slots, asynchronous: trials end at 10 and 12; the next two start at 10.5 and 12.25.
    gaps = restart_gaps(starts=[0.0, 0.1, 10.5, 12.25], frees=[10.0, 12.0, 20.0, 22.0], slots=2)
    assert gaps == [0.5, 0.25]
    # Hydra: both jobs of a batch free their slots when the batch's last job ends (at 12).
    gaps = restart_gaps(starts=[0.0, 0.1, 15.0, 15.5], frees=[12.0, 12.0, 25.0, 25.0], slots=2)
    assert gaps == [3.0, 3.5]
