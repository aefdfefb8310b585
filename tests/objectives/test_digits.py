"""The reference torch objective: learns, checkpoints each epoch, resumes bit for bit."""

from __future__ import annotations

from typing import Any

import pytest

from sweeps.job.handle import TrialHandle
from sweeps.job.task import TrialTask
from sweeps.spec.paths import SweepPaths
from sweeps.storage.optuna_internals import trial_id_of
from sweeps.study import load_study, prepare_study
from sweeps.study.slots import create_slot_trial

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from sweeps.objectives.digits import train_mlp  # noqa: E402

PARAMS = {"lr": 0.01, "hidden": 32, "layers": 2, "dropout": 0.2, "activation": "gelu"}


def handle(spec: Any, study: Any, slot: int) -> TrialHandle:
    trial = create_slot_trial(study, slot, attempt=0)
    task = TrialTask(
        spec=spec,
        trial_id=trial_id_of(trial),
        number=trial.number,
        slot=slot,
        attempt=0,
        params=PARAMS,
        seed=11,
        checkpoint_dir=str(SweepPaths.of(spec).checkpoints(slot)),
    )
    return TrialHandle(task)


@pytest.fixture
def study_spec(make_spec):  # type: ignore[no-untyped-def]
    _, spec = make_spec(reproducible=True)
    yield spec, prepare_study(spec)
    torch.use_deterministic_algorithms(False)


def test_resumed_training_equals_uninterrupted_training(study_spec) -> None:  # type: ignore[no-untyped-def]
    spec, study = study_spec
    whole = train_mlp(PARAMS, handle(spec, study, slot=0), epochs=4, batch_size=128)
    assert whole > 0.5  # it learns

    # Slot 1: the first attempt is cut after 2 epochs; the retry resumes from its checkpoint.
    train_mlp(PARAMS, handle(spec, study, slot=1), epochs=2, batch_size=128)
    retry = handle(spec, study, slot=1)
    resumed = train_mlp(PARAMS, retry, epochs=4, batch_size=128)
    assert resumed == whole
    trials = load_study(spec).trials
    assert trials[2].intermediate_values == trials[0].intermediate_values
    assert sorted(trials[2].intermediate_values) == [0, 1, 2, 3]


def test_naive_loop_runs(study_spec) -> None:  # type: ignore[no-untyped-def]
    spec, study = study_spec
    naive = train_mlp(PARAMS, handle(spec, study, 0), epochs=1, efficient=False, checkpoint_every=0)
    assert 0.0 < naive <= 1.0


@pytest.mark.gpu
def test_compiled_bf16_training_on_a_gpu(make_spec) -> None:  # type: ignore[no-untyped-def]
    if not torch.cuda.is_available():
        pytest.skip("no CUDA or ROCm GPU")
    _, spec = make_spec(resources={"gpus": 1, "time_min": 2})
    trial = handle(spec, prepare_study(spec), slot=0)
    assert trial.device.startswith("cuda")
    assert train_mlp(PARAMS, trial, epochs=3, compile=True) > 0.5


def test_two_ranks_train_the_model_one_rank_trains(make_spec) -> None:  # type: ignore[no-untyped-def]
    """DDP over two CPU ranks, each half of every batch: the averaged gradients are the whole
    batch's, so both trials reach the same accuracy epoch by epoch."""
    from pathlib import Path

    from optuna.trial import TrialState

    from sweeps.controller.slot import run_slot

    values = {}
    for ranks in (1, 2):
        _, spec = make_spec(
            study=f"ranks{ranks}",
            objective={
                "function": "sweeps.objectives.digits:train_mlp",
                "args": {"epochs": 3, "batch_size": 128, "checkpoint_every": 0},
            },
            space={
                "lr": {"type": "float", "low": 0.005, "high": 0.005},
                "hidden": {"type": "categorical", "choices": [32]},
                "layers": {"type": "categorical", "choices": [2]},
            },
            resources={"tasks_per_node": ranks, "time_min": 3},
            budget={"n_trials": 1},
        )
        prepare_study(spec)
        run_slot(spec, 0, Path(f"results/{spec.study}/trials/0.json"))
        [trial] = load_study(spec).trials
        assert trial.state == TrialState.COMPLETE, trial.user_attrs.get("fail_reason")
        values[ranks] = trial.intermediate_values
    assert values[2] == pytest.approx(values[1], abs=2e-3)
    assert len(values[1]) == 3
