"""Which slots each lane job runs, and a lane job's bookkeeping around its slots' controllers.

The slot controller is replaced by a stand-in that succeeds, stops or stops the sweep on
chosen slots: what is tested is what the lane does with each outcome, and the real controller
behind it is tested in test_slot.py and, inside lanes, by tests/workflow/."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from sweeps.controller import lanes
from sweeps.controller.lanes import (
    MAX_SLOTS_PER_LANE,
    LaneFailed,
    lane_count,
    lane_slots,
    run_lane_job,
)
from sweeps.controller.stopped import ControllerStopped
from sweeps.controller.streak import SweepStopped
from sweeps.spec.paths import SweepPaths
from sweeps.worker.wakeups import STOP_FILE


def stand_in(ran: list[int], raises: dict[int, Exception]) -> Any:
    def run_slot(spec: Any, slot: int, receipt: Path, **_: Any) -> Path:
        ran.append(slot)
        if slot in raises:
            raise raises[slot]
        receipt.parent.mkdir(parents=True, exist_ok=True)
        receipt.write_text("{}")
        return receipt

    return run_slot


def no_report(spec: Any, receipt: Any, log: Any = None) -> None:
    """The progress line needs a study; the stand-in slots have none."""


def test_a_stopped_slot_does_not_stop_the_lane_which_fails_at_its_end(
    make_spec: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, spec = make_spec(budget={"n_trials": 10})
    ran: list[int] = []
    raises = {4: ControllerStopped("trial 2 stopped: OSError: disk full; marked for a retry")}
    monkeypatch.setattr(lanes, "report_slot", no_report)
    monkeypatch.setattr(lanes, "run_slot", stand_in(ran, raises))
    with pytest.raises(LaneFailed, match="lane 0: 1 slot"):
        run_lane_job(spec, 0, 2)
    assert ran == [0, 2, 4, 6, 8]  # the slots after the stopped one still ran
    assert "sweeps lane: slot 4: trial 2 stopped: OSError: disk full" in capsys.readouterr().err


def test_a_stopped_sweep_ends_the_lane_at_once(
    make_spec: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, spec = make_spec(budget={"n_trials": 10})
    ran: list[int] = []
    monkeypatch.setattr(lanes, "report_slot", no_report)
    monkeypatch.setattr(lanes, "run_slot", stand_in(ran, {4: SweepStopped("stopped")}))
    with pytest.raises(LaneFailed, match="the sweep stopped at slot 4"):
        run_lane_job(spec, 1, 3, log=tmp_path / "lane.log")
    assert ran == [1, 4]  # lane 1 of 3 owns slots 1, 4, 7: slot 7 never ran
    assert "slot 4: stopped" in (tmp_path / "lane.log").read_text()


def test_a_lane_of_finished_slots_passes(make_spec: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _, spec = make_spec(budget={"n_trials": 5})
    ran: list[int] = []
    monkeypatch.setattr(lanes, "report_slot", no_report)
    monkeypatch.setattr(lanes, "run_slot", stand_in(ran, {}))
    run_lane_job(spec, 0, 1)
    assert ran == [0, 1, 2, 3, 4]


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


WARM = {"mode": "warm", "warm": {"hand_over_ahead": 1}}


def concurrency(ran: list[int], active: list[int], seen: list[int]) -> Any:
    """A stand-in slot that meets a second one on its way in (a barrier), recording how many
    ran at once."""
    lock = threading.Lock()
    barrier = threading.Barrier(2, timeout=10)

    def run_slot(spec: Any, slot: int, receipt: Path, **_: Any) -> Path:
        with lock:
            ran.append(slot)
            active.append(slot)
            seen.append(len(active))
        try:
            if slot < 2:
                barrier.wait()  # broken (an error) unless two controllers run at once
            time.sleep(0.05)
        finally:
            with lock:
                active.remove(slot)
        return receipt

    return run_slot


def test_a_warm_lane_job_runs_the_next_slots_controller_while_one_waits(
    make_spec: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, spec = make_spec(budget={"n_trials": 6}, dispatch=WARM)
    ran: list[int] = []
    seen: list[int] = []
    monkeypatch.setattr(lanes, "report_slot", no_report)
    monkeypatch.setattr(lanes, "run_slot", concurrency(ran, [], seen))
    run_lane_job(spec, 0, 1)
    assert sorted(ran) == [0, 1, 2, 3, 4, 5]  # each slot once
    assert max(seen) == 2


def test_under_a_cost_budget_a_warm_lane_job_runs_one_slot_at_a_time(
    make_spec: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trial handed over ahead would start after the budget was spent."""
    _, spec = make_spec(budget={"n_trials": 4, "max_energy_kwh": 1.0}, dispatch=WARM)
    ran: list[int] = []
    monkeypatch.setattr(lanes, "report_slot", no_report)
    monkeypatch.setattr(lanes, "run_slot", stand_in(ran, {}))
    run_lane_job(spec, 0, 1)
    assert ran == [0, 1, 2, 3]
    _, spec = make_spec(budget={"n_trials": 4, "max_energy_kwh": 1.0}, dispatch=WARM)
    monkeypatch.setattr(lanes, "run_slot", concurrency([], [], []))
    with pytest.raises(threading.BrokenBarrierError):
        run_lane_job(spec, 0, 1)


def test_a_stopped_sweep_ends_an_overlapped_lane_once_its_controllers_end(
    make_spec: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, spec = make_spec(budget={"n_trials": 20}, dispatch=WARM)
    ran: list[int] = []
    slow = stand_in(ran, {1: SweepStopped("stopped")})

    def run_slot(spec: Any, slot: int, receipt: Path, **kwargs: Any) -> Path:
        if slot != 1:
            time.sleep(0.2)  # slot 1 stops the sweep while its neighbour still runs
        return slow(spec, slot, receipt, **kwargs)

    monkeypatch.setattr(lanes, "report_slot", no_report)
    monkeypatch.setattr(lanes, "run_slot", run_slot)
    with pytest.raises(LaneFailed, match="the sweep stopped at slot 1"):
        run_lane_job(spec, 0, 1, log=tmp_path / "lane.log")
    assert 1 in ran and max(ran) <= 3  # no slot started once the stop was seen
    assert "slot 1: stopped" in (tmp_path / "lane.log").read_text()


def test_an_error_in_one_controller_of_an_overlapped_lane_reaches_the_lane(
    make_spec: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, spec = make_spec(budget={"n_trials": 6}, dispatch=WARM)
    monkeypatch.setattr(lanes, "report_slot", no_report)
    monkeypatch.setattr(lanes, "run_slot", stand_in([], {3: RuntimeError("a bug")}))
    with pytest.raises(RuntimeError, match="a bug"):
        run_lane_job(spec, 0, 1)


def test_the_lane_that_ends_a_warm_sweeps_last_slot_asks_its_workers_to_exit(
    make_spec: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before `snakemake` (and its storage proxy) ends: a worker bound to that proxy could not
    read that the sweep is done, and would hold its GPUs until its storage calls gave up."""
    _, spec = make_spec(budget={"n_trials": 4}, dispatch=WARM)
    stop = SweepPaths.of(spec).workers / STOP_FILE
    monkeypatch.setattr(lanes, "report_slot", no_report)
    monkeypatch.setattr(lanes, "run_slot", stand_in([], {}))
    run_lane_job(spec, 0, 2)
    assert not stop.exists()  # lane 1's slots are still to run
    run_lane_job(spec, 1, 2)
    assert stop.exists()
