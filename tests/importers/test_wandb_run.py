"""An imported W&B sweep runs through real trial slots (submitit's LocalExecutor, SQLite):
its hyperband stops the run W&B would stop, and weighted choices reach the objective."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from optuna.trial import TrialState

from sweeps.controller.slot import run_slot
from sweeps.importers import ImportOptions, import_file
from sweeps.study import load_study, prepare_study

WANDB = {
    "method": "random",
    "metric": {"name": "loss", "goal": "minimize"},
    "parameters": {
        "x": {"values": [2.0, 3.0, 5.0], "probabilities": [0.2, 0.3, 0.5]},
    },
    "early_terminate": {"type": "hyperband", "min_iter": 1, "eta": 2},
}


def test_third_run_is_stopped_at_its_first_band(make_spec, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    """Runs report (x-2)^2 + 3, + 2, + 1. With x = 2, 3, 5 the third run's first value (12) is
    above W&B's band-1 threshold sorted([3, 4, 12])[int(3 / 2)] = 4: it stops there. The
    second run (4 against sorted([3, 4])[1] = 4) goes on, where Optuna's own
    SuccessiveHalvingPruner (min_resource 1, reduction_factor 2) would have stopped it at its
    second report."""
    source = workdir / "wandb.yaml"
    source.write_text(yaml.safe_dump(WANDB))
    options = ImportOptions(objective="support.objectives:quadratic", n_trials=4)
    imported: dict[str, Any] = import_file(source, options).spec
    replay = [{"x": 2.0}, {"x": 3.0}, {"x": 5.0}]
    _, spec = make_spec(**{**imported, "study": "t", "replay": replay, "parallelism": 1})
    prepare_study(spec)
    for slot in range(4):  # slot 3 samples x by its weights in the trial's process
        run_slot(spec, slot, Path(f"results/t/trials/{slot}.json"))
    trials = load_study(spec).trials
    assert [t.state for t in trials[:3]] == [
        TrialState.COMPLETE,
        TrialState.COMPLETE,
        TrialState.PRUNED,
    ]
    assert list(trials[2].intermediate_values.values()) == [12.0]
    assert [t.params["x"] for t in trials[:3]] == [2.0, 3.0, 5.0]
    assert trials[3].params["x"] in (2.0, 3.0, 5.0)
