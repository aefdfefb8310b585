from __future__ import annotations

import pytest
from support.specs import base_spec

from sweeps.spec import spec_from_dict
from sweeps.storage.optuna_internals import study_id_of
from sweeps.study import StudyMismatch, load_study, prepare_study
from sweeps.study.keys import Key


def test_prepare_creates_then_loads(workdir) -> None:  # type: ignore[no-untyped-def]
    spec = spec_from_dict(base_spec())
    study = prepare_study(spec)
    assert study.user_attrs[Key.FINGERPRINT]
    assert "optuna" in study.user_attrs[Key.VERSIONS]
    again = prepare_study(spec)
    assert study_id_of(again) == study_id_of(study)


def test_changed_space_is_refused_and_named(workdir) -> None:  # type: ignore[no-untyped-def]
    prepare_study(spec_from_dict(base_spec()))
    changed = spec_from_dict(base_spec(space={"x": {"type": "float", "low": -1, "high": 1}}))
    with pytest.raises(StudyMismatch) as info:
        prepare_study(changed)
    assert "space.x.low: -5.0 -> -1.0" in str(info.value)
    with pytest.raises(StudyMismatch):
        load_study(changed)
    prepare_study(changed, force=True)  # explicit override
    load_study(changed)  # and now the study records the new settings


def test_changed_sampler_is_refused(workdir) -> None:  # type: ignore[no-untyped-def]
    prepare_study(spec_from_dict(base_spec()))
    with pytest.raises(StudyMismatch, match=r"sampler\.name"):
        prepare_study(spec_from_dict(base_spec(sampler={"name": "TPESampler"})))


def test_budget_change_is_allowed(workdir) -> None:  # type: ignore[no-untyped-def]
    prepare_study(spec_from_dict(base_spec()))
    prepare_study(spec_from_dict(base_spec(budget={"n_trials": 40}, parallelism=4)))


def test_missing_study_is_a_clear_error(workdir) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LookupError, match="does not exist"):
        load_study(spec_from_dict(base_spec()))
