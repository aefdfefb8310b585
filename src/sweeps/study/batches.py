"""Reproducible mode: trials asked in batches of ``parallelism``, in trial-number order.

Batch ``b`` holds slots ``b*p .. b*p + p - 1``. One process (Snakemake's ``batch`` rule) asks all
of its trials, after every trial of batch ``b - 1`` was told, and leaves them WAITING and tagged
with their slots; each slot's controller then claims its trial instead of asking. The sampler
that asks trial number ``n`` is seeded with ``derive_seed(sampler_seed, n)``, whichever process
asks it, so the same sweep asks the same parameters however its trials' completions interleave.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from sweeps.spec import SweepSpec
from sweeps.spec.samplers import build_sampler
from sweeps.spec.seeds import derive_seed
from sweeps.spec.space import suggest_all
from sweeps.storage.attrs import set_trial_attrs
from sweeps.storage.optuna_internals import storage_of, study_id_of, trial_id_of
from sweeps.storage.templates import template_trial
from sweeps.study import load_study
from sweeps.study.claims import slot_claim
from sweeps.study.keys import Key
from sweeps.study.replay import replay_template
from sweeps.study.slots import controller_attrs, slot_trials


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
        with slot_claim(spec.storage_url, spec.study, slot):  # another run may ask it too
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
    system_attrs: dict[str, Any] = {Key.SLOT: slot, Key.ATTEMPT: 0, Key.BATCH: batch}
    template = template_trial(TrialState.WAITING, system_attrs=system_attrs, like=replay)
    storage = storage_of(study)
    trial_id = storage.create_new_trial(study_id_of(study), template_trial=template)
    if replay is None:
        number = storage.get_trial_number_from_id(trial_id)
        study.sampler = batch_sampler(spec, number)
        trial = optuna.Trial(study, trial_id)
        suggest_all(trial, spec)
    return storage.get_trial(trial_id)


def batch_sampler(spec: SweepSpec, number: int) -> optuna.samplers.BaseSampler:
    """The sampler that asks trial ``number``: seeded by the number, not by the process."""
    if spec.sampler.name == "GridSampler":  # its grid order hangs on one shared seed
        return build_sampler(spec)
    sampler = spec.sampler.model_copy(update={"seed": derive_seed(spec.sampler_seed, number)})
    return build_sampler(spec.model_copy(update={"sampler": sampler}))


def claim_asked_trial(study: optuna.Study, waiting: FrozenTrial) -> optuna.Trial:
    """Move a trial asked by its batch from WAITING to RUNNING; only one controller wins."""
    storage, trial_id = storage_of(study), trial_id_of(waiting)
    if not storage.set_trial_state_values(trial_id, TrialState.RUNNING):
        raise BatchOrderError(f"trial {waiting.number} was claimed by another controller")
    set_trial_attrs(storage, trial_id, {}, {Key.CLAIMED_AT: _now(), **controller_attrs()})
    return optuna.Trial(study, trial_id)


def require_batch(spec: SweepSpec, slot: int) -> None:
    """In reproducible mode a slot never samples by itself: its batch asks for it."""
    if spec.reproducible:
        raise BatchOrderError(
            f"slot {slot}: reproducible sweeps ask trials in batches; run batch "
            f"{batch_of(spec, slot)} first ('sweeps batch' or the Snakemake workflow)"
        )


def _now() -> str:
    return datetime.now(UTC).isoformat()
