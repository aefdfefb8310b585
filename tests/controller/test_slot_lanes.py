"""Which slots each lane job runs."""

from __future__ import annotations

import pytest

from sweeps.controller.slot_lanes import MAX_SLOTS_PER_LANE, lane_count, lane_slots


@pytest.mark.parametrize(
    ("n_trials", "in_flight", "lanes"),
    [(20, 2, 2), (3, 8, 3), (1, 1, 1), (10_000, 64, 157), (10_000, 2, 157), (1000, 256, 256)],
)
def test_lanes_are_the_trials_in_flight_capped_by_the_budget_and_bounded_in_size(
    n_trials: int, in_flight: int, lanes: int
) -> None:
    assert lane_count(n_trials, in_flight) == lanes
    sizes = [len(lane_slots(k, lanes, n_trials)) for k in range(lanes)]
    assert max(sizes) <= max(MAX_SLOTS_PER_LANE, -(-n_trials // in_flight))
    assert min(sizes) >= 1


def test_every_slot_is_in_exactly_one_lane() -> None:
    lanes = lane_count(1001, 4)
    slots = [s for k in range(lanes) for s in lane_slots(k, lanes, 1001)]
    assert sorted(slots) == list(range(1001))
    assert list(lane_slots(1, 4, 10)) == [1, 5, 9]  # in order, one after another


@pytest.mark.parametrize(("lane", "lanes"), [(-1, 4), (4, 4)])
def test_a_lane_outside_the_lanes_is_refused(lane: int, lanes: int) -> None:
    with pytest.raises(ValueError, match=f"lane {lane} is outside 0..3"):
        lane_slots(lane, lanes, 10)


def test_no_lanes_for_an_empty_budget() -> None:
    with pytest.raises(ValueError, match="n_trials >= 1"):
        lane_count(0, 2)
