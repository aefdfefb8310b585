"""The trial API objectives use: reporting, checkpoints, devices, seeding, the log file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pytest
from optuna.trial import TrialState

from sweeps.controller.slot import run_slot
from sweeps.job.checkpoint import FILENAME, read_checkpoint
from sweeps.job.devices import bind_env, visibility_var, visible_devices
from sweeps.job.distributed import Rank
from sweeps.job.handle import TrialHandle
from sweeps.job.task import TrialTask
from sweeps.spec.paths import SweepPaths
from sweeps.storage.optuna_internals import trial_id_of
from sweeps.study import load_study, prepare_study
from sweeps.study.slots import create_slot_trial


def handle_for(spec, study, slot: int = 0, previous=None, rank=None) -> TrialHandle:  # type: ignore[no-untyped-def]
    trial = create_slot_trial(study, slot, attempt=0 if previous is None else 1, params=previous)
    if previous is None:
        trial.suggest_float("x", -5, 5)
    task = TrialTask(
        spec=spec,
        trial_id=trial_id_of(trial),
        number=trial.number,
        slot=slot,
        attempt=0,
        params=dict(trial.params),
        seed=7,
        checkpoint_dir=str(SweepPaths.of(spec).checkpoints(slot)),
    )
    return TrialHandle(task, rank)


def test_report_takes_optunas_order_numpy_scalars_0d_tensors_and_keywords(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec()
    handle = handle_for(spec, prepare_study(spec))
    handle.report(0.5, 0)
    handle.report(np.float32(0.25), np.int64(1))
    handle.report(value=0.125, step=2)
    handle.report(step=3, value=np.array(0.0625))
    torch = pytest.importorskip("torch")
    handle.report(torch.tensor(0.03125, requires_grad=True), step=4)
    assert load_study(spec).trials[0].intermediate_values == {
        0: 0.5,
        1: 0.25,
        2: 0.125,
        3: 0.0625,
        4: 0.03125,
    }
    assert handle.last_step == 4


@pytest.mark.parametrize(
    ("value", "step"),
    [
        (3, 0.93),  # report(epoch, accuracy): the old order
        (3, np.float32(0.93)),
        (0, 1.0),  # an accuracy of exactly 1.0 at epoch 0
        (2, True),
    ],
)
def test_an_old_order_call_fails_naming_optunas_order(make_spec, value, step) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec()
    handle = handle_for(spec, prepare_study(spec))
    with pytest.raises(
        TypeError, match=r"report\(value, step\): Optuna's order; step must be an int"
    ):
        handle.report(value, step)
    assert load_study(spec).trials[0].intermediate_values == {}
    assert handle.last_step is None


def test_an_old_order_call_with_a_tensor_fails(make_spec) -> None:  # type: ignore[no-untyped-def]
    torch = pytest.importorskip("torch")
    _, spec = make_spec()
    handle = handle_for(spec, prepare_study(spec))
    with pytest.raises(TypeError, match=r"Optuna's order; step must be an int, got Tensor"):
        handle.report(3, torch.tensor(0.93))
    with pytest.raises(TypeError, match=r"value must be a number .* got Tensor of shape \(2,\)"):
        handle.report(torch.tensor([0.9, 0.8]), 3)
    with pytest.raises(TypeError, match="value must be a number"):
        handle.report("0.9", 3)
    with pytest.raises(ValueError, match="step must be >= 0, got -1"):
        handle.report(0.9, -1)
    assert load_study(spec).trials[0].intermediate_values == {}


def test_the_handle_is_an_optuna_trial_of_the_sweeps_study(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec()
    study = prepare_study(spec)
    handle = handle_for(spec, study)
    assert isinstance(handle, optuna.Trial)
    assert "study" not in vars(handle)  # nothing opened until Optuna's side is used
    assert handle.study.study_name == spec.study
    assert handle.number == load_study(spec).trials[0].number
    assert handle.suggest_float("x", -5, 5) == handle.params["x"]  # the trial's own value
    with pytest.raises(ValueError, match="'lr': not a parameter of this trial"):
        handle.suggest_float("lr", 1e-4, 1e-1, log=True)
    handle.report(1.0, 0)
    assert not handle.should_prune()


def test_only_rank_0_writes_to_the_study(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec()
    handle = handle_for(spec, prepare_study(spec), rank=Rank(rank=1, world_size=2))
    handle.report(0.5, 0)
    assert handle.last_step == 0
    assert load_study(spec).trials[0].intermediate_values == {}
    with pytest.raises(TypeError, match="Optuna's order"):  # every rank checks the order
        handle.report(0, 0.5)


def test_checkpoint_resume_across_a_retry_reports_each_step_once(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec()
    study = prepare_study(spec)
    first = handle_for(spec, study)
    for step in range(3):
        first.report(10.0 - step, step)
        first.save_checkpoint({"weights": [step]}, step)
    first.report(7.0, 3)  # reported after the last checkpoint: lost with the attempt
    assert (first.checkpoint_dir / FILENAME).exists()
    assert not list(first.checkpoint_dir.glob(".*"))  # no temporary file left behind

    frozen = load_study(spec).trials[0]
    retry = handle_for(spec, study, previous=frozen)
    checkpoint = retry.load_checkpoint()
    assert checkpoint is not None and checkpoint.step == 2
    assert checkpoint.state == {"weights": [2]}
    retry.report(99.0, 2)  # already restored: not reported again
    retry.report(6.5, 3)
    values = load_study(spec).trials[1].intermediate_values
    assert values == {0: 10.0, 1: 9.0, 2: 8.0, 3: 6.5}


def test_checkpoint_of_other_params_is_ignored(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec()
    study = prepare_study(spec)
    first = handle_for(spec, study)
    first.save_checkpoint({"a": 1}, 0)
    other = handle_for(spec, study)  # a fresh trial in the same slot, other params
    assert other.params != first.params
    assert other.load_checkpoint() is None
    assert read_checkpoint(other.checkpoint_dir) is not None


def test_requeued_trial_resumes_from_its_last_epoch(make_spec) -> None:  # type: ignore[no-untyped-def]
    """The first attempt is killed after epoch 1 (a lost warm worker, retried per the budget)."""
    _, spec = make_spec(
        objective={"function": "support.objectives:resumable", "args": {"die_after": 1}},
        budget={"n_trials": 1, "max_retries": 1},
        dispatch={
            "poll_interval_s": 0.05,
            "mode": "warm",
            "warm": {"idle_timeout_s": 2, "heartbeat_s": 0.2, "heartbeat_timeout_s": 2},
        },
    )
    prepare_study(spec)
    receipt = run_slot(spec, 0, Path("results/t/trials/0.json"))
    lost, resumed = load_study(spec).trials
    assert lost.state == TrialState.FAIL and "lost" in lost.user_attrs["fail_reason"]
    assert resumed.state == TrialState.COMPLETE and receipt.number == resumed.number
    assert resumed.params == lost.params
    assert sorted(lost.intermediate_values) == [0, 1]
    assert sorted(resumed.intermediate_values) == [0, 1, 2, 3]
    assert resumed.intermediate_values[1] == lost.intermediate_values[1]
    x2 = lost.params["x"] ** 2
    assert resumed.value == pytest.approx(4 * x2 + 0 + 1 + 2 + 3)
    log = Path(resumed.user_attrs["log_file"]).read_text()
    assert "resumed from the checkpoint of step 1" in log and "starting at epoch 2" in log


def test_log_file_is_the_trials_artifact(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(objective="support.objectives:fail_or_sleep")
    prepare_study(spec)
    run_slot(spec, 0, Path("results/t/trials/0.json"))
    trial = load_study(spec).trials[0]
    assert trial.state == TrialState.FAIL
    log = Path(trial.user_attrs["log_file"])
    assert log == Path("results/t/trial-logs/0.log")
    assert "running with" in log.read_text()


def test_visibility_follows_the_variable_in_force() -> None:
    lumi = {"ROCR_VISIBLE_DEVICES": "0,1,2,3,4,5,6,7"}
    assert visibility_var(lumi) == "ROCR_VISIBLE_DEVICES"
    assert visible_devices(lumi) == [str(i) for i in range(8)]
    assert bind_env(["5"], lumi) == {"ROCR_VISIBLE_DEVICES": "5"}
    saga = {"CUDA_VISIBLE_DEVICES": "2,3"}
    assert bind_env(visible_devices(saga)[1:], saga) == {"CUDA_VISIBLE_DEVICES": "3"}
    assert visible_devices({"HIP_VISIBLE_DEVICES": "1"}) == ["1"]


def test_cpu_trial_gets_the_cpu(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec()
    handle = handle_for(spec, prepare_study(spec))
    assert handle.device == "cpu"


def test_reproducible_mode_makes_torch_deterministic() -> None:
    torch = pytest.importorskip("torch")
    from sweeps.job.seeding import seed_everything

    try:
        seed_everything(3, reproducible=True)
        assert torch.are_deterministic_algorithms_enabled()
        a = torch.rand(3)
        seed_everything(3, reproducible=True)
        assert torch.equal(a, torch.rand(3))
    finally:
        torch.use_deterministic_algorithms(False)


@pytest.mark.gpu
def test_gpu_trial_gets_a_gpu(make_spec) -> None:  # type: ignore[no-untyped-def]
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA or ROCm GPU")
    _, spec = make_spec(resources={"gpus": 1, "time_min": 2})
    handle = handle_for(spec, prepare_study(spec))
    assert handle.device.startswith("cuda:")
