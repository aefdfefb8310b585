"""Reproducible batches and replay, against a real SQLite study and real trial processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from optuna.trial import TrialState

from sweeps.controller.slot import run_slot
from sweeps.study import load_study, prepare_study
from sweeps.study.batches import BatchOrderError, ask_batch, batch_sampler
from sweeps.study.slots import slot_trials

SPACE = {
    "x": {"type": "float", "low": -5.0, "high": 5.0},
    "n": {"type": "int", "low": 1, "high": 9},
}


def test_batches_ask_in_order_and_refuse_to_run_ahead(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(reproducible=True, space=SPACE)
    prepare_study(spec)
    with pytest.raises(BatchOrderError, match="before slot 0 of batch 0 was told"):
        ask_batch(spec, 1)
    first = ask_batch(spec, 0)
    assert [t.number for t in first] == [0, 1]
    assert [t.state for t in first] == [TrialState.WAITING] * 2
    assert ask_batch(spec, 0) == first  # asking again finds the same trials
    with pytest.raises(BatchOrderError):
        ask_batch(spec, 1)
    run_slot(spec, 1, Path("results/t/trials/1.json"))  # slot 1 claims trial 1
    told = slot_trials(load_study(spec), 1)
    assert len(told) == 1 and told[0].number == 1 and told[0].params == first[1].params
    assert told[0].state == TrialState.COMPLETE


def test_reproducible_slot_never_samples_by_itself(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(reproducible=True)
    prepare_study(spec)
    with pytest.raises(BatchOrderError, match="run batch 1 first"):
        run_slot(spec, 2, Path("results/t/trials/2.json"))
    assert load_study(spec).trials == []  # and leaves no stray trial behind


def test_batch_sampler_seed_depends_on_the_number_only(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec()
    a, b = batch_sampler(spec, 3), batch_sampler(spec, 3)
    assert a._rng.rng.random() == b._rng.rng.random()  # type: ignore[attr-defined]
    assert batch_sampler(spec, 4)._rng.rng.random() != batch_sampler(spec, 3)._rng.rng.random()  # type: ignore[attr-defined]


@pytest.mark.parametrize("reproducible", [False, True])
def test_replay_runs_the_published_parameters(make_spec, reproducible: bool) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(
        reproducible=reproducible,
        space=SPACE,
        replay=[{"x": 1.5, "n": 3}, {"x": -2.0, "n": 9}],
        budget={"n_trials": 3},
    )
    prepare_study(spec)
    if reproducible:
        ask_batch(spec, 0)
    receipt = run_slot(spec, 1, Path("results/t/trials/1.json"))
    assert receipt.params == {"x": -2.0, "n": 9}
    assert receipt.values == [pytest.approx(16.0)]


def test_replay_must_match_the_space(make_spec) -> None:  # type: ignore[no-untyped-def]
    from sweeps.spec import SpecError

    with pytest.raises(SpecError, match=r"replay\[0\] names \['y'\]"):
        make_spec(replay=[{"y": 1.0}])
