"""Each trial's energy as the runner records it, read from a RAPL fixture tree whose counter
advances with time (a writer thread), and the cost metrics told as objective values.

The runner is called in-process; the counters are real files in the powercap format.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from job.test_command import command
from job.test_runner import task_for
from support.energy import MAX_UJ, AdvancingRapl

from sweeps.job.runner import run_trial
from sweeps.spec.facts import ENERGY_NOT_MEASURED, ENERGY_SOURCE, ENERGY_WH
from sweeps.worker.energy_spans import DeviceSpans

WATTS = 36.0  # 0.01 Wh per second


@pytest.fixture
def rapl_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "powercap"
    monkeypatch.setenv("SWEEPS_RAPL_ROOT", str(root))
    monkeypatch.setenv("SWEEPS_PM_COUNTERS_ROOT", str(tmp_path / "no-cray"))
    return root


def test_a_trial_records_the_energy_its_node_used(make_spec, rapl_root: Path) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(objective="support.objectives:sleep_for_x")
    with AdvancingRapl(rapl_root, WATTS):
        outcome = run_trial(task_for(spec, {"x": 5.0}))
    assert outcome.state == "complete" and outcome.values == [-5.0]
    assert outcome.facts[ENERGY_SOURCE.key] == "rapl"
    wh = outcome.facts[ENERGY_WH.key]
    # 0.5 s at 36 W; the writer thread may lag on a loaded machine, at either reading
    assert 0.5 * 0.01 * 0.6 <= wh <= 0.5 * 0.01 * 1.6, wh


def test_a_counter_that_wraps_in_the_trial_still_counts_forward(make_spec, rapl_root: Path) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(objective="support.objectives:sleep_for_x")
    with AdvancingRapl(rapl_root, WATTS, start_uj=MAX_UJ - 1000):
        outcome = run_trial(task_for(spec, {"x": 3.0}))
    assert 0.3 * 0.01 * 0.6 <= outcome.facts[ENERGY_WH.key] <= 0.3 * 0.01 * 1.6


def test_no_counter_says_which_were_tried_and_why(make_spec, rapl_root: Path) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(objective="support.objectives:sleep_for_x")
    outcome = run_trial(task_for(spec, {"x": 0.0}))
    assert outcome.state == "complete"
    reason = outcome.facts[ENERGY_NOT_MEASURED.key]
    assert "pm_counters:" in reason and "no-cray" in reason
    assert f"rapl: no RAPL zones under {rapl_root}" in reason
    assert ENERGY_WH.key not in outcome.facts


def test_energy_wh_is_told_as_its_objective(make_spec, rapl_root: Path) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(
        objective="support.objectives:sleep_for_x",
        direction=None,
        directions=["minimize", "minimize", "minimize"],
        metrics=["energy_wh", "loss", "trial_gpu_hours"],
        sampler={"name": "NSGAIISampler"},
    )
    with AdvancingRapl(rapl_root, WATTS):
        outcome = run_trial(task_for(spec, {"x": 2.0}))
    assert outcome.state == "complete"
    assert outcome.values == [outcome.facts[ENERGY_WH.key], -2.0, 0.0]  # a CPU trial: 0 GPUs
    assert outcome.values[0] > 0


def test_energy_wh_objective_fails_a_trial_it_cannot_measure(make_spec, rapl_root: Path) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(
        objective="support.objectives:sleep_for_x",
        direction=None,
        directions=["minimize", "minimize"],
        metrics=["loss", "energy_wh"],
        sampler={"name": "NSGAIISampler"},
    )
    outcome = run_trial(task_for(spec, {"x": 0.0}))
    assert outcome.state == "fail"
    assert outcome.reason is not None
    assert outcome.reason.startswith("metrics[1] energy_wh: energy was not measured (no energy")
    assert outcome.values is None


def test_packed_trials_split_their_devices_energy_by_overlap(tmp_path: Path) -> None:
    spans = DeviceSpans(tmp_path / "w.energy.gpu0.spans")
    spans.mark(1, "start", 100.0)
    spans.mark(2, "start", 105.0)
    spans.mark(1, "end", 110.0)
    # Trial 2 ran 105-115 (still running as far as the file knows) and its device used 100 J.
    # 105-110 is shared with trial 1, 110-115 is its own: 25 + 50 J.
    assert spans.share(2)(100.0, (105.0, 115.0)) == pytest.approx(75.0)
    # Trial 1 over 100-110 used 80 J on the device: 100-105 alone, 105-110 shared with 2.
    assert spans.share(1)(80.0, (100.0, 110.0)) == pytest.approx(40.0 + 20.0)


def test_a_command_objective_names_only_its_own_metric(make_spec, rapl_root: Path) -> None:  # type: ignore[no-untyped-def]
    """The script prints ``val_loss`` alone; energy_wh comes from the meter around it."""
    _, spec = make_spec(
        objective=command(STUB_METRIC="val_loss"),
        direction=None,
        directions=["minimize", "minimize"],
        metrics=["val_loss", "energy_wh"],
        sampler={"name": "TPESampler"},
    )
    with AdvancingRapl(rapl_root, WATTS):
        outcome = run_trial(task_for(spec, {"x": 2.0}))
    assert outcome.state == "complete", outcome.reason
    assert outcome.values == [pytest.approx(2 / 3), outcome.facts[ENERGY_WH.key]]
    assert outcome.values[1] > 0
