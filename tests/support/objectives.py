"""Objectives with known behaviour, imported by trial jobs during the tests."""

from __future__ import annotations

import math
import os
import signal
import time
from typing import Any

from sweeps import TrialHandle, TrialPruned


def quadratic(params: dict[str, Any], trial: TrialHandle, steps: int = 3) -> float:
    """(x - 2)^2, reporting a decreasing curve; pruned when the pruner says so."""
    value = (params["x"] - 2.0) ** 2
    for step in range(steps):
        trial.report(value + (steps - step), step)
        if trial.should_prune():
            raise TrialPruned(f"pruned at step {step}")
    return value


def misbehave(params: dict[str, Any], trial: TrialHandle) -> float:
    """Behaves according to ``params['mode']``: ok, raise, nan, kill, prune."""
    mode = params["mode"]
    trial.report(1.0, 0)
    if mode == "raise":
        raise RuntimeError("objective exploded on purpose")
    if mode == "nan":
        return math.nan
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "prune":
        raise TrialPruned("told to prune")
    if mode == "sleep":
        time.sleep(float(os.environ.get("SWEEPS_TEST_SLEEP_S", "60")))
    return float(params.get("x", 1.0))


def two_values(params: dict[str, Any]) -> tuple[float, float]:
    """A multi-objective function: (x, 1 - x)."""
    return params["x"], 1.0 - params["x"]


def resumable(
    params: dict[str, Any], trial: TrialHandle, epochs: int = 4, die_after: int = -1
) -> float:
    """Checkpoints each epoch and resumes; the first attempt of a slot dies after ``die_after``."""
    checkpoint = trial.load_checkpoint()
    start = checkpoint.step + 1 if checkpoint else 0
    total = checkpoint.state["total"] if checkpoint else 0.0
    first_attempt = not (trial.checkpoint_dir / "died").exists()
    trial.log.info("starting at epoch %d", start)
    for epoch in range(start, epochs):
        total += params["x"] ** 2 + epoch
        trial.report(total, epoch)
        trial.save_checkpoint({"total": total}, epoch)
        if epoch == die_after and first_attempt:
            (trial.checkpoint_dir / "died").touch()
            os.kill(os.getpid(), signal.SIGKILL)
    return total


def die_once_in_slot(params: dict[str, Any], trial: TrialHandle, slot: int = 1) -> float:
    """Sleeps briefly; the first attempt of slot ``slot`` kills its process mid-trial."""
    marker = trial.checkpoint_dir / "died"
    trial.report(params["x"], 0)
    if trial.slot == slot and not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(float(params.get("seconds", 0.2)))
    return float(params["x"])


def fail_or_sleep(
    params: dict[str, Any],
    trial: TrialHandle,
    fail_slot: int = 0,
    seconds: float = 1.0,
    fail_after: float = 0.3,
) -> float:
    """Raises in slot ``fail_slot`` after ``fail_after`` seconds, else sleeps ``seconds``;
    reports the time it started."""
    trial.log.info("running with %s", params)
    start = time.time()
    if trial.slot == fail_slot:
        time.sleep(fail_after)
        raise RuntimeError("packed trial failed on purpose")
    time.sleep(seconds)
    trial.report(start, 0)
    return float(params["x"])


def all_reduce(params: dict[str, Any], trial: TrialHandle, steps: int = 2) -> float:
    """A data-parallel toy: every rank contributes ``rank + 1``; rank 0 reports the sum."""
    import torch
    import torch.distributed as dist

    trial.init_distributed()
    total = 0.0
    for step in range(steps):
        value = torch.tensor([float(trial.rank + 1)])
        dist.all_reduce(value)
        total = float(value.item()) * params["x"]
        trial.report(total, step)
        if trial.should_prune():
            raise TrialPruned(f"pruned at step {step}")
    trial.log.info("rank %d of %d done", trial.rank, trial.world_size)
    return total


def long_in_slot(params: dict[str, Any], trial: TrialHandle, slot: int = 0) -> float:
    """Sleeps a minute without reporting in slot ``slot``, a moment elsewhere."""
    time.sleep(60.0 if trial.slot == slot else 0.2)
    return float(params["x"])


def returns(params: dict[str, Any]) -> Any:
    """Returns what ``params['returns']`` names: a string, an infinity or NaN."""
    return {"string": "abc", "inf": math.inf, "nan": math.nan}[params["returns"]]


def sleep_past_limit(params: dict[str, Any], trial: TrialHandle) -> float:
    """Sleeps far longer than any test's time limit; logs when it started."""
    trial.log.info("started at %f", time.time())
    time.sleep(600)
    return 0.0


def sleep_for_x(params: dict[str, Any]) -> float:
    """Sleeps ``x / 10`` seconds and returns ``-x``: a longer trial scores better and costs more
    energy, so accuracy against energy has a Pareto front."""
    time.sleep(params["x"] / 10)
    return -float(params["x"])


def interrupted_once(params: dict[str, Any], trial: TrialHandle, how: str = "catch") -> float:
    """The slot's first attempt gets a signal from outside (as a terminal's Ctrl-C or a closed
    ssh session would send it): ``catch``: SIGINT, caught, a partial result returned; ``raise``:
    SIGINT, not caught; ``hangup``: SIGHUP, which kills the process. Later attempts finish."""
    marker = trial.checkpoint_dir / "interrupted"
    if not marker.exists():
        marker.write_text(how)
        signum = signal.SIGHUP if how == "hangup" else signal.SIGINT
        try:
            os.kill(os.getpid(), signum)
            time.sleep(5)
        except KeyboardInterrupt:
            if how == "raise":
                raise
            return -1.0  # what a training script that catches Ctrl-C would report
    return float(params["x"])


def optimizer_loss(params: dict[str, Any]) -> float:
    """A loss over a conditional space: ``momentum`` only for sgd, ``beta1`` only for adam
    (fails on a parameter of the other branch)."""
    if params["optimizer"] == "sgd":
        assert "beta1" not in params, params
        return abs(params["momentum"] - 0.9) + params["lr"]
    assert "momentum" not in params, params
    return abs(params["beta1"] - 0.95) + params["lr"]
