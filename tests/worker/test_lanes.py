"""What a warm lane is given: its own GPU and its own copy of the caches a profile names."""

from __future__ import annotations

from pathlib import Path

from sweeps.worker.lanes import lane_bindings, lane_dirs


def test_each_lane_gets_its_own_copy_of_the_named_cache_dirs(make_spec, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    warm = {"per_lane_dirs": ["MIOPEN_USER_DB_PATH", "MIOPEN_CUSTOM_CACHE_DIR"]}
    _, spec = make_spec(dispatch={"mode": "warm", "warm": warm})
    monkeypatch.setenv("MIOPEN_USER_DB_PATH", "/tmp/u-miopen-42")  # the job's, from its setup
    monkeypatch.delenv("MIOPEN_CUSTOM_CACHE_DIR", raising=False)
    first, second = lane_dirs(spec, "w1", 0), lane_dirs(spec, "w1", 1)
    assert first["MIOPEN_USER_DB_PATH"] == "/tmp/u-miopen-42-lane0"
    assert second["MIOPEN_USER_DB_PATH"] == "/tmp/u-miopen-42-lane1"
    assert Path(first["MIOPEN_CUSTOM_CACHE_DIR"]).name == "miopen_custom_cache_dir-w1-lane0"


def test_no_cache_dirs_are_touched_unless_named(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(dispatch={"mode": "warm"})
    assert lane_dirs(spec, "w1", 0) == {}


def test_lanes_share_the_gpus_they_are_given(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(
        resources={"gpus": 1, "time_min": 2},
        dispatch={"mode": "warm", "warm": {"trials_per_gpu": 2, "gpus_per_worker": 2}},
    )
    lanes = lane_bindings(spec, {"ROCR_VISIBLE_DEVICES": "4,5"})
    assert lanes == [{"ROCR_VISIBLE_DEVICES": d} for d in ("4", "4", "5", "5")]
