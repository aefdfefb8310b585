"""Packed trials share their device's energy: two lanes of one warm worker (real processes)
read a RAPL fixture tree whose counter a writer thread advances, and each trial is charged its
share by overlap in time, not the whole device."""

from __future__ import annotations

from pathlib import Path

import pytest
from optuna.trial import TrialState
from run.strategies.test_warm_publish import finals, run_controllers, started, warm_spec
from support.energy import AdvancingRapl

from sweeps.run.strategies.warm.pool import WorkerPool
from sweeps.spec.facts import ENERGY_DEVICE_WH, ENERGY_WH
from sweeps.study import load_study

__all__ = ["started"]  # the fixture, used here by name


def test_two_packed_trials_each_get_a_share_of_the_device(  # type: ignore[no-untyped-def]
    make_spec, started, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWEEPS_RAPL_ROOT", str(workdir / "powercap"))
    monkeypatch.setenv("SWEEPS_PM_COUNTERS_ROOT", str(workdir / "no-cray"))
    _, spec = warm_spec(
        make_spec,
        workers=1,
        per_gpu=2,
        idle_s=5,
        objective={
            "function": "support.objectives:fail_or_sleep",
            "args": {"fail_slot": -1, "seconds": 3.0},
        },
        budget={"n_trials": 2},
    )
    with AdvancingRapl(workdir / "powercap", watts=360.0):
        started.append(WorkerPool(spec))
        run_controllers(spec, range(2), parallel=2)
    trials = list(finals(load_study(spec).trials).values())
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert len({t.user_attrs["lane"] for t in trials}) == 2
    for trial in trials:
        device_wh = trial.user_attrs[ENERGY_DEVICE_WH.key]
        assert device_wh >= 360 * 3.0 / 3600 * 0.9  # the CPU's whole draw while it ran
        # Side by side for most of the run: about half, never the whole device.
        assert 0.45 < trial.user_attrs[ENERGY_WH.key] / device_wh < 0.8
