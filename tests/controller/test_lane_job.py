"""A lane job's bookkeeping around its slots' controllers.

The slot controller is replaced by a stand-in that succeeds, stops or stops the sweep on
chosen slots: what is tested is what the lane does with each outcome, and the real controller
behind it is tested in test_slot.py and, inside lanes, by tests/workflow/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sweeps.controller import lane_job
from sweeps.controller.lane_job import LaneFailed, run_lane_job
from sweeps.controller.stopped import ControllerStopped
from sweeps.controller.streak import SweepStopped


def stand_in(ran: list[int], raises: dict[int, Exception]) -> Any:
    def run_slot_job(spec: Any, slot: int, receipt: Path, **_: Any) -> None:
        ran.append(slot)
        if slot in raises:
            raise raises[slot]
        receipt.parent.mkdir(parents=True, exist_ok=True)
        receipt.write_text("{}")

    return run_slot_job


def test_a_stopped_slot_does_not_stop_the_lane_which_fails_at_its_end(
    make_spec: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, spec = make_spec(budget={"n_trials": 10})
    ran: list[int] = []
    raises = {4: ControllerStopped("trial 2 stopped: OSError: disk full; marked for a retry")}
    monkeypatch.setattr(lane_job, "run_slot_job", stand_in(ran, raises))
    with pytest.raises(LaneFailed, match="lane 0: 1 slot"):
        run_lane_job(spec, 0, 2)
    assert ran == [0, 2, 4, 6, 8]  # the slots after the stopped one still ran
    assert "sweeps lane: slot 4: trial 2 stopped: OSError: disk full" in capsys.readouterr().err


def test_a_stopped_sweep_ends_the_lane_at_once(
    make_spec: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, spec = make_spec(budget={"n_trials": 10})
    ran: list[int] = []
    monkeypatch.setattr(lane_job, "run_slot_job", stand_in(ran, {4: SweepStopped("stopped")}))
    with pytest.raises(LaneFailed, match="the sweep stopped at slot 4"):
        run_lane_job(spec, 1, 3, log=tmp_path / "lane.log")
    assert ran == [1, 4]  # lane 1 of 3 owns slots 1, 4, 7: slot 7 never ran
    assert "slot 4: stopped" in (tmp_path / "lane.log").read_text()


def test_a_lane_of_finished_slots_passes(make_spec: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _, spec = make_spec(budget={"n_trials": 5})
    ran: list[int] = []
    monkeypatch.setattr(lane_job, "run_slot_job", stand_in(ran, {}))
    run_lane_job(spec, 0, 1)
    assert ran == [0, 1, 2, 3, 4]
