"""Streaks of same-cause failures and the stop record, on a real in-memory Optuna study."""

from __future__ import annotations

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.trial import TrialState, create_trial

from sweeps.storage.optuna_internals import storage_of, trial_id_of
from sweeps.study.keys import Key
from sweeps.study.streak import (
    StopRecord,
    current_streak,
    ended_after,
    normalise_cause,
    read_stop,
    record_stop,
)


def ended(study: optuna.Study, how: str, retryable: bool = False) -> None:
    """Tell one trial: ``ok``, ``pruned``, or a failure whose reason is ``how``."""
    trial = study.ask()
    if how == "ok":
        study.tell(trial, 1.0)
        return
    if how == "pruned":
        study.tell(trial, state=TrialState.PRUNED)
        return
    trial.set_user_attr("fail_reason", how)
    if retryable:
        storage_of(study).set_trial_system_attr(trial_id_of(trial), Key.RETRYABLE, True)
    study.tell(trial, state=TrialState.FAIL)


def failed_with(study: optuna.Study, reason: str, opt: str, x: float) -> None:
    """Add a trial that chose optimizer ``opt`` and ``x`` and failed with ``reason``."""
    distributions = {
        "opt": CategoricalDistribution(["adamw", "sgd"]),
        "x": FloatDistribution(0.0, 10.0),
    }
    study.add_trial(
        create_trial(
            state=TrialState.FAIL,
            params={"opt": opt, "x": x},
            distributions=distributions,
            user_attrs={"fail_reason": reason},
        )
    )


def study_of(*outcomes: str) -> optuna.Study:
    study = optuna.create_study()
    for how in outcomes:
        ended(study, how)
    return study


def test_the_cause_is_normalised() -> None:
    raw = "ValueError:  bad\n  value at 0x7f3a9c"
    assert normalise_cause(raw) == "ValueError: bad value at <address>"
    oom = "Slurm job {} ended OUT_OF_MEMORY without a result: Killed"
    assert normalise_cause(oom.format("41")) == normalise_cause(oom.format("42_3"))


TORCH_OOM = (
    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate {} GiB. GPU {} has a total "
    "capacity of 79.15 GiB of which {} is free. Including non-PyTorch memory, this process has "
    "{} GiB memory in use. If reserved but unallocated memory is large try setting "
    "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation."
)


@pytest.mark.parametrize(
    "messages",
    [
        [  # sizes that differ per trial, in different units
            TORCH_OOM.format("2.44", 0, "1.23 GiB", "77.90"),
            TORCH_OOM.format("12.00", 1, "512.00 MiB", "78.62"),
            TORCH_OOM.format("800", 3, "17 MiB", "79.1"),
        ],
        [
            "RuntimeError: CUDA out of memory. Tried to allocate 2500 MiB",
            "RuntimeError: CUDA out of memory. Tried to allocate 3279.20 MiB",
        ],
        [  # memory addresses, and ids in paths (a Slurm job, a temporary directory)
            "SystemError: <built-in method at 0x7f3a9c1e2b40> returned NULL",
            "SystemError: <built-in method at 0x7f0012ab33c0> returned NULL",
        ],
        [
            "FileNotFoundError: [Errno 2] No such file or directory: "
            "'/scratch/project_465000000/sweeps/jobs/8812345/ckpt-epoch=3.pt'",
            "FileNotFoundError: [Errno 2] No such file or directory: "
            "'/scratch/project_465000000/sweeps/jobs/8812402_7/ckpt-epoch=11.pt'",
        ],
        [
            "OSError: /tmp/tmpk3j_x9qz/model.pt is empty",
            "OSError: /tmp/tmp0a_81bcx/model.pt is empty",
        ],
        [  # numbers in any format: negative, scientific, with a build's version hash
            "ValueError: loss diverged at lr=-0.0031 (grad norm 3e+05, build 3f2a9c1e7b)",
            "ValueError: loss diverged at lr=0.25 (grad norm 1.5E-2, build 77ab01c9de)",
        ],
        ["KeyError: 'x'", "KeyError:  'x'"],
    ],
)
def test_one_cause_is_one_whatever_numbers_its_messages_carry(messages: list[str]) -> None:
    assert len({normalise_cause(m) for m in messages}) == 1


def test_the_trials_own_parameter_values_are_masked() -> None:
    first = normalise_cause(
        "ValueError: unknown optimizer 'adamw' (lr=0.0012)", {"opt": "adamw", "lr": 0.0012}
    )
    second = normalise_cause(
        "ValueError: unknown optimizer 'sgd' (lr=0.3)", {"opt": "sgd", "lr": 0.3}
    )
    assert first == second == "ValueError: unknown optimizer '<param>' (lr=<n>)"
    # a word is masked only whole, and only where it is this trial's value
    assert normalise_cause("adamw2 failed", {"opt": "adamw"}) == "adamw2 failed"
    assert normalise_cause("no 'sgd' here") == "no 'sgd' here"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("KeyError: 'x'", "KeyError: 'y'"),
        ("KeyError: 'x1'", "KeyError: 'x2'"),  # digits of a name are part of it
        ("ValueError: expected float16", "ValueError: expected float32"),
        ("ValueError: bad value", "TypeError: bad value"),
        ("exit code 1", "exit code 2"),  # the objective's own exit status says why
        ("killed by signal 9 (SIGKILL)", "killed by signal 15 (SIGTERM)"),
        (
            "RuntimeError: CUDA out of memory. Tried to allocate 2500 MiB",
            "RuntimeError: CUDA error: an illegal memory access was encountered",
        ),
        (
            "ModuleNotFoundError: No module named 'torch'",
            "ModuleNotFoundError: No module named 'lightning'",
        ),
    ],
)
def test_different_causes_are_told_apart(one: str, other: str) -> None:
    assert normalise_cause(one) != normalise_cause(other)


def test_a_streak_of_one_cause_with_differing_messages_shows_a_real_one() -> None:
    study = optuna.create_study()
    for size, opt in ((2500, "adamw"), (3279.2, "sgd"), (812.5, "adamw")):
        message = f"RuntimeError: CUDA out of memory with {opt}. Tried to allocate {size} MiB"
        failed_with(study, message, opt, size / 1000)
    streak = current_streak(study.trials)
    assert streak is not None and streak.numbers == [0, 1, 2]
    assert (
        streak.cause == "RuntimeError: CUDA out of memory with adamw. Tried to allocate 812.5 MiB"
    )
    ended(study, "KeyError: 'x'")  # another cause starts another streak
    streak = current_streak(study.trials)
    assert streak is not None and (streak.cause, streak.numbers) == ("KeyError: 'x'", [3])


@pytest.mark.parametrize(
    ("outcomes", "cause", "numbers"),
    [
        (["A", "A", "A"], "A", [0, 1, 2]),
        (["B", "A", "A"], "A", [1, 2]),
        (["A", "A", "ok", "A"], "A", [3]),  # a success resets the streak
        (["A", "A", "pruned", "A"], "A", [3]),  # so does a pruned trial
        (["A", "B", "A", "B"], "B", [3]),  # different causes never add up
    ],
)
def test_the_streak_is_the_same_cause_failures_that_ended_last(
    outcomes: list[str], cause: str, numbers: list[int]
) -> None:
    streak = current_streak(study_of(*outcomes).trials)
    assert streak is not None and streak.cause == cause and streak.numbers == numbers


def test_no_streak_after_a_success() -> None:
    assert current_streak(study_of("A", "A", "ok").trials) is None
    assert current_streak([]) is None


def test_failures_lost_to_the_infrastructure_neither_count_nor_break_the_streak() -> None:
    study = study_of("A", "A")
    ended(study, "its controller died before the trial ended", retryable=True)
    ended(study, "A")
    streak = current_streak(study.trials)
    assert streak is not None and streak.numbers == [0, 1, 3]


def test_a_stop_is_recorded_and_the_next_streak_counts_only_later_trials() -> None:
    study = study_of("A", "A", "A")
    streak = current_streak(study.trials)
    assert streak is not None
    record = StopRecord.of(streak, run="host:1:2")
    record_stop(study, record)
    assert read_stop(study.user_attrs) == record
    assert current_streak(study.trials, after=record.after) is None
    assert ended_after(study.trials, record.after) == 0
    ended(study, "A")
    ended(study, "A")
    later = current_streak(study.trials, after=record.after)
    assert later is not None and later.numbers == [3, 4]
    assert ended_after(study.trials, record.after) == 2


def test_no_stop_in_a_fresh_study() -> None:
    assert read_stop(optuna.create_study().user_attrs) is None
