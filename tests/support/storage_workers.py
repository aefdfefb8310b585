"""Trial processes for the storage tests: each writes trials the way a sweep's processes do."""

from __future__ import annotations

import multiprocessing
import time
import traceback
from collections.abc import Callable
from typing import Any

import optuna

from sweeps.storage import open_storage
from sweeps.storage.open import close_storage
from sweeps.study.slots import create_slot_trial

STEPS = 8


def run_trials(url: str, study_name: str, slot: int, n_trials: int, pause_s: float) -> None:
    """Ask, report ``STEPS`` intermediate values and tell ``n_trials`` trials as slot ``slot``."""
    close_storage()  # a forked child must not share its parent's connections
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(
        study_name=study_name,
        storage=open_storage(url),
        sampler=optuna.samplers.RandomSampler(seed=slot),
    )
    for attempt in range(n_trials):
        trial = create_slot_trial(study, slot, attempt)
        x = trial.suggest_float("x", -5.0, 5.0)
        for step in range(STEPS):
            trial.report(x + step, step)
            time.sleep(pause_s)
        study.tell(trial, x * x)


def _entry(target: Callable[..., None], args: tuple[Any, ...]) -> None:
    try:
        target(*args)
    except BaseException:
        traceback.print_exc()
        raise


def start_workers(
    url: str, study_name: str, n_workers: int, n_trials: int, pause_s: float = 0.0
) -> list[multiprocessing.process.BaseProcess]:
    """Start ``n_workers`` trial processes (forked: cheap, but each opens its own storage)."""
    ctx = multiprocessing.get_context("fork")
    procs = [
        ctx.Process(target=_entry, args=(run_trials, (url, study_name, i, n_trials, pause_s)))
        for i in range(n_workers)
    ]
    for proc in procs:
        proc.start()
    return procs


def join_all(procs: list[multiprocessing.process.BaseProcess], timeout_s: float = 240) -> None:
    """Wait for the workers; fail if any failed or hung."""
    deadline = time.monotonic() + timeout_s
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
    hung = [p for p in procs if p.is_alive()]
    for proc in hung:
        proc.kill()
    assert not hung, f"{len(hung)} worker(s) hung"
    codes = [p.exitcode for p in procs]
    assert codes == [0] * len(procs), f"worker exit codes: {codes}"
