"""A controller's per-trial reads: a slot's trials and the RUNNING ones, without reading the
rest of the study, on every backend."""

from __future__ import annotations

import optuna
from optuna.trial import TrialState
from support.databases import Backend
from support.specs import base_spec

from sweeps.spec import spec_from_dict
from sweeps.storage import open_storage
from sweeps.storage.open import close_storage
from sweeps.storage.optuna_internals import has_read_trials, study_id_of
from sweeps.study import prepare_study
from sweeps.study.keys import Key
from sweeps.study.reads import cache_layer, tagged_trials, trials_in
from sweeps.study.slots import create_slot_trial, slot_trials
from sweeps.study.stale import stale_trials


def _filled(backend: Backend, study_name: str) -> optuna.Study:
    """A study of 12 trials over slots 0..3 (three each), the last of slot 3 RUNNING; then
    loaded again as a new process would, before it has read any trial."""
    spec = spec_from_dict(base_spec(study=study_name, storage=backend.url))
    study = prepare_study(spec)
    for attempt in range(3):
        for slot in range(4):
            trial = create_slot_trial(study, slot, attempt)
            trial.suggest_float("x", -5, 5)
            if (slot, attempt) != (3, 2):
                study.tell(trial, float(slot))
    close_storage()
    return optuna.load_study(study_name=study_name, storage=open_storage(backend.url))


def _fresh(study: optuna.Study) -> bool:
    return not has_read_trials(cache_layer(study), study_id_of(study))


def test_slot_trials_are_read_alone(backend: Backend, unique_study: str) -> None:
    study = _filled(backend, unique_study)
    found = {slot: [t.number for t in slot_trials(study, slot)] for slot in range(5)}
    if backend.name != "journal":  # the journal has no query: it reads the whole log
        assert _fresh(study)
    expected: dict[int, list[int]] = {slot: [] for slot in range(5)}
    for trial in study.get_trials():
        expected[trial.system_attrs[Key.SLOT]].append(trial.number)
    assert found == expected and found[2] == [2, 6, 10]
    assert [t.state for t in slot_trials(study, 3)][-1] == TrialState.RUNNING
    assert slot_trials(study, 1)[0].params.keys() == {"x"}


def test_running_trials_are_read_alone(backend: Backend, unique_study: str) -> None:
    study = _filled(backend, unique_study)
    running = trials_in(study, (TrialState.RUNNING,))
    assert stale_trials(study, grace_s=3600.0) == []
    if backend.name != "journal":
        assert _fresh(study)
    assert [(t.number, t.system_attrs[Key.SLOT]) for t in running] == [(11, 3)]
    assert stale_trials(study, grace_s=-1.0)[0].number == 11


def test_tagged_trials_match_the_value_exactly(backend: Backend, unique_study: str) -> None:
    study = _filled(backend, unique_study)
    assert tagged_trials(study, Key.ATTEMPT, 2)[0].number == 8
    assert tagged_trials(study, Key.SLOT, "1") == []  # a string is not the slot number
