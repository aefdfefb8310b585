"""Finished trials kept on disk: a new controller process starts from them and reads from the
storage only what is newer, and sees the same study as one that read it all."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from optuna.trial import FrozenTrial
from support.specs import base_spec

from sweeps.spec import SweepSpec, spec_from_dict
from sweeps.storage.open import close_storage
from sweeps.study import kept, load_study, prepare_study
from sweeps.study.slots import create_slot_trial


def _spec(workdir: Path) -> SweepSpec:
    return spec_from_dict(
        base_spec(storage=f"sqlite:///{workdir}/study.db", budget={"n_trials": 50})
    )


def _run(study: optuna.Study, slots: range, tell: bool = True) -> None:
    for slot in slots:
        trial = create_slot_trial(study, slot, 0)
        trial.suggest_float("x", -5, 5)
        trial.set_user_attr("note", f"slot {slot}")
        if tell:
            study.tell(trial, float(slot))


def _seen(study: optuna.Study) -> list[tuple[object, ...]]:
    def row(t: FrozenTrial) -> tuple[object, ...]:
        return (t.number, t.state, t.params, t.values, t.user_attrs, t.system_attrs)

    return [row(t) for t in study.get_trials()]


@pytest.fixture
def few(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kept, "REWRITE_AFTER", 5)
    monkeypatch.setattr(kept, "_held", {})


def test_a_new_process_starts_from_the_kept_trials(workdir: Path, few: None) -> None:
    spec = _spec(workdir)
    study = prepare_study(spec)
    _run(study, range(8))
    _run(study, range(8, 10), tell=False)  # RUNNING when kept: read again later
    study.get_trials()  # as the sampler and the progress line do
    assert kept.keep_finished(study, spec)
    assert not kept.keep_finished(study, spec)  # nothing new enough to write again
    for trial in study.get_trials(states=(optuna.trial.TrialState.RUNNING,)):
        study.tell(trial.number, 1.5)
    _run(study, range(10, 12))
    everything = _seen(study)

    close_storage()  # a new process
    kept._held.clear()
    again = load_study(spec)
    assert kept._held[kept.kept_file(spec)] == 8  # started from the file
    assert _seen(again) == everything  # and read the rest: finished since, and new ones


def test_a_file_of_another_study_is_ignored(workdir: Path, few: None) -> None:
    spec = _spec(workdir)
    study = prepare_study(spec)
    _run(study, range(6))
    study.get_trials()
    assert kept.keep_finished(study, spec)
    optuna.delete_study(study_name=spec.study, storage=f"sqlite:///{workdir}/study.db")
    close_storage()
    study = prepare_study(spec)  # the same name, other trials
    _run(study, range(3))
    close_storage()
    kept._held.clear()
    again = load_study(spec)
    assert kept.kept_file(spec) not in kept._held
    assert [t.value for t in again.get_trials()] == [0.0, 1.0, 2.0]


def test_a_damaged_file_is_ignored(workdir: Path, few: None) -> None:
    spec = _spec(workdir)
    study = prepare_study(spec)
    _run(study, range(6))
    path = kept.kept_file(spec)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a pickle")
    close_storage()
    again = load_study(spec)
    assert kept.restore_finished(again, spec) == 0
    assert len(again.get_trials()) == 6
    assert kept.keep_finished(again, spec)  # and it is replaced by a good one
    close_storage()
    kept._held.clear()
    assert len(load_study(spec).get_trials()) == 6 and kept._held[path] == 6


def test_a_failed_write_does_not_stop_the_controller(workdir: Path, few: None) -> None:
    spec = _spec(workdir)
    study = prepare_study(spec)
    _run(study, range(6))
    study.get_trials()
    path = kept.kept_file(spec)
    path.parent.parent.mkdir(parents=True)
    path.parent.write_text("a file where the cache folder would go")
    assert not kept.keep_finished(study, spec)
    assert not list(path.parent.parent.glob(".*"))  # no half-written file left behind


def test_a_file_of_another_optuna_release_is_ignored(workdir: Path, few: None) -> None:
    spec = _spec(workdir)
    study = prepare_study(spec)
    _run(study, range(6))
    study.get_trials()
    assert kept.keep_finished(study, spec)
    close_storage()
    again = optuna.load_study(study_name=spec.study, storage=f"sqlite:///{workdir}/study.db")
    with pytest.MonkeyPatch.context() as upgraded:
        upgraded.setattr(optuna, "__version__", "0.0.1")  # the release after an upgrade
        assert kept.restore_finished(again, spec) == 0
    assert kept.restore_finished(again, spec) == 6
