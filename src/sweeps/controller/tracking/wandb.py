"""Weights & Biases: each trial a run of the sweep's project, offline unless the sweep says
online (compute and login nodes may have no internet); ``wandb sync`` uploads offline runs."""

from __future__ import annotations

from pathlib import Path

from optuna.trial import FrozenTrial, TrialState

from sweeps.controller.tracking.base import Tracker
from sweeps.controller.tracking.record import TrialRecord
from sweeps.spec import SweepSpec
from sweeps.spec.paths import SweepPaths
from sweeps.spec.tracking import WandbTracking

STATE = "state"
"""The summary key of the trial's state (COMPLETE, PRUNED or FAIL)."""


class WandbTracker(Tracker):
    """``tracking: {wandb: {project, entity, mode, dir}}``."""

    name = "wandb"
    package = "wandb"

    def log_trial(self, spec: SweepSpec, trial: FrozenTrial) -> None:
        import wandb

        settings = _settings(spec)
        record = TrialRecord.of(spec, trial)
        directory = run_root(spec)
        directory.mkdir(parents=True, exist_ok=True)
        run = wandb.init(
            project=settings.project or spec.study,
            entity=settings.entity,
            mode=settings.mode,
            dir=str(directory.resolve()),  # W&B's service process has a cwd of its own
            name=record.run_name,
            group=spec.study,
            tags=[record.state.name],
            config=record.params,
            reinit="create_new",  # each trial its own run, in this one process
            settings=wandb.Settings(
                console="off",
                silent=True,
                disable_git=True,
                save_code=False,
                x_disable_stats=True,
                x_disable_machine_info=True,
            ),
        )
        try:
            for step, value in record.steps:
                run.log({record.series: value}, step=step)
            run.summary.update({**record.values, **record.numbers, **record.texts})
            run.summary[STATE] = record.state.name
        finally:
            run.finish(exit_code=1 if record.state == TrialState.FAIL else 0)

    def where(self, spec: SweepSpec) -> str:
        settings = _settings(spec)
        return f"wandb ({settings.mode}, {run_root(spec)})"


def run_root(spec: SweepSpec) -> Path:
    """The folder whose ``wandb/`` holds the runs: ``dir``, else the sweep's results folder."""
    settings = _settings(spec)
    return Path(settings.dir) if settings.dir else SweepPaths.of(spec).root


def _settings(spec: SweepSpec) -> WandbTracking:
    settings = spec.tracking.wandb if spec.tracking else None
    assert settings is not None, "the sweep does not track to W&B"
    return settings
