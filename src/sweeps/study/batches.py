"""Reproducible mode: trials asked in batches of ``parallelism``, in trial-number order.

Batch ``b`` holds slots ``b*p .. b*p + p - 1``. One process (Snakemake's ``batch`` rule) asks all
of its trials, after every trial of batch ``b - 1`` was told, and leaves them WAITING and tagged
with their slots; each slot's controller then claims its trial instead of asking. The sampler
that asks trial number ``n`` is seeded with ``derive_seed(sampler_seed, n)``, whichever process
asks it, so the same sweep asks the same parameters however its trials' completions interleave.
"""

from __future__ import annotations

from datetime import UTC, datetime

import optuna
from optuna.trial import FrozenTrial, TrialState

from sweeps.spec import SweepSpec
from sweeps.spec.samplers import build_sampler
from sweeps.spec.seeds import derive_seed
from sweeps.spec.space import suggest_all
from sweeps.study import load_study
from sweeps.study.replay import replay_template
from sweeps.study.slots import ATTEMPT, SLOT, slot_trials

BATCH = "sweeps:batch"


class BatchOrderError(RuntimeError):
    """A batch was asked before the previous one was told, or a slot skipped its batch."""


def batch_of(spec: SweepSpec, slot: int) -> int:
    """The batch that asks slot ``slot``'s trial."""
    return slot // spec.parallelism


def batch_slots(spec: SweepSpec, batch: int) -> range:
    """The slots batch ``batch`` asks, in order."""
    start = batch * spec.parallelism
    return range(start, min(start + spec.parallelism, spec.budget.n_trials))


def n_batches(spec: SweepSpec) -> int:
    return -(-spec.budget.n_trials // spec.parallelism)


def ask_batch(spec: SweepSpec, batch: int, force: bool = False) -> list[FrozenTrial]:
    """Ask (or find, when already asked) the trials of batch ``batch``, in slot order."""
    if not 0 <= batch < n_batches(spec):
        raise ValueError(f"batch {batch} is outside the budget ({n_batches(spec)} batches)")
    study = load_study(spec, force=force)
    _check_previous_told(study, spec, batch)
    asked = []
    for slot in batch_slots(spec, batch):
        trials = slot_trials(study, slot)
        asked.append(trials[0] if trials else _ask(study, spec, slot, batch))
    return asked


def _check_previous_told(study: optuna.Study, spec: SweepSpec, batch: int) -> None:
    if batch == 0:
        return
    for slot in batch_slots(spec, batch - 1):
        trials = slot_trials(study, slot)
        if not trials or not trials[-1].state.is_finished():
            raise BatchOrderError(
                f"batch {batch} asked before slot {slot} of batch {batch - 1} was told"
            )


def _ask(study: optuna.Study, spec: SweepSpec, slot: int, batch: int) -> FrozenTrial:
    replay = replay_template(spec, slot)
    template = FrozenTrial(
        number=-1,
        state=TrialState.WAITING,
        value=None,
        datetime_start=None,
        datetime_complete=None,
        params=dict(replay.params) if replay else {},
        distributions=dict(replay.distributions) if replay else {},
        user_attrs={},
        system_attrs={SLOT: slot, ATTEMPT: 0, BATCH: batch},
        intermediate_values={},
        trial_id=-1,
    )
    trial_id = study._storage.create_new_trial(study._study_id, template_trial=template)
    if replay is None:
        number = study._storage.get_trial_number_from_id(trial_id)
        study.sampler = batch_sampler(spec, number)
        trial = optuna.Trial(study, trial_id)
        suggest_all(trial, spec)
    return study._storage.get_trial(trial_id)


def batch_sampler(spec: SweepSpec, number: int) -> optuna.samplers.BaseSampler:
    """The sampler that asks trial ``number``: seeded by the number, not by the process."""
    if spec.sampler.name == "GridSampler":  # its grid order hangs on one shared seed
        return build_sampler(spec)
    sampler = spec.sampler.model_copy(update={"seed": derive_seed(spec.sampler_seed, number)})
    return build_sampler(spec.model_copy(update={"sampler": sampler}))


def claim(study: optuna.Study, waiting: FrozenTrial) -> optuna.Trial:
    """Move a trial asked by its batch from WAITING to RUNNING; only one controller wins."""
    storage = study._storage
    if not storage.set_trial_state_values(waiting._trial_id, TrialState.RUNNING):
        raise BatchOrderError(f"trial {waiting.number} was claimed by another controller")
    storage.set_trial_system_attr(waiting._trial_id, "sweeps:claimed_at", _now())
    return optuna.Trial(study, waiting._trial_id)


def require_batch(spec: SweepSpec, slot: int) -> None:
    """In reproducible mode a slot never samples by itself: its batch asks for it."""
    if spec.reproducible:
        raise BatchOrderError(
            f"slot {slot}: reproducible sweeps ask trials in batches; run batch "
            f"{batch_of(spec, slot)} first ('sweeps batch' or the Snakemake workflow)"
        )


def _now() -> str:
    return datetime.now(UTC).isoformat()
