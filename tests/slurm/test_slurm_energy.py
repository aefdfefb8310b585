"""Each trial's energy on the real test cluster: a trial job on a node with a readable counter
records the figure and its source; one without says which counters it tried and why.

The test cluster's GPUs are fake, so the counter is a RAPL tree in the real powercap format
whose counter a writer thread advances; the Slurm job reads it through the exported
``SWEEPS_RAPL_ROOT``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from optuna.trial import TrialState
from support.energy import AdvancingRapl
from support.slurm import slurm_sweep

from sweeps.controller.slot import run_slot
from sweeps.spec.facts import ENERGY_NOT_MEASURED, ENERGY_SOURCE, ENERGY_WH
from sweeps.study import load_study, prepare_study

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]


def run_one(workdir: Path, study: str):  # type: ignore[no-untyped-def]
    _, spec = slurm_sweep(workdir, study, seconds=2)
    prepare_study(spec)
    run_slot(spec, 0, workdir / f"{study}.json")
    [trial] = load_study(spec).trials
    assert trial.state == TrialState.COMPLETE
    return trial


def test_a_slurm_trial_records_its_energy_and_its_source(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWEEPS_RAPL_ROOT", str(workdir / "powercap"))
    monkeypatch.setenv("SWEEPS_PM_COUNTERS_ROOT", str(workdir / "no-cray"))
    with AdvancingRapl(workdir / "powercap", watts=360.0):
        trial = run_one(workdir, "metered")
    assert trial.user_attrs[ENERGY_SOURCE.key] == "rapl"
    assert 0 < trial.user_attrs[ENERGY_WH.key] <= 0.1 * trial.duration.total_seconds()
    assert ENERGY_NOT_MEASURED.key not in trial.user_attrs


def test_a_slurm_trial_without_counters_says_why(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWEEPS_RAPL_ROOT", str(workdir / "no-powercap"))
    monkeypatch.setenv("SWEEPS_PM_COUNTERS_ROOT", str(workdir / "no-cray"))
    trial = run_one(workdir, "unmetered")
    reason = trial.user_attrs[ENERGY_NOT_MEASURED.key]
    assert reason.startswith("no energy counter readable here: ")
    assert f"rapl: no RAPL zones under {workdir / 'no-powercap'}" in reason
    assert "pm_counters: " in reason
    assert ENERGY_WH.key not in trial.user_attrs
