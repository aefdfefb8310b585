"""How a process's controllers gather their submissions into job arrays (no cluster needed:
the batches are handed to a recording stand-in for sbatch)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from sweeps.run.executors import backend_for
from sweeps.run.executors.arrays import Coalescer, coalesces
from sweeps.spec import SweepSpec


class Recorder:
    """Records each batch it is asked to submit; job i of batch b is ``(b, i)``."""

    def __init__(self) -> None:
        self.batches: list[list[Any]] = []

    def __call__(self, tasks: list[Any]) -> list[Any]:
        self.batches.append(list(tasks))
        return [(len(self.batches) - 1, i) for i in range(len(tasks))]


@pytest.fixture
def slurm_spec(make_spec):  # type: ignore[no-untyped-def]
    def make(window: float) -> SweepSpec:
        _, spec = make_spec(
            dispatch={"executor": "slurm", "slurm": {"array_window_s": window}},
        )
        return spec

    return make


def controller(
    coalescer: Coalescer,
    spec: SweepSpec,
    task: str,
    record: Recorder,
    delay: float,
    out: dict,
    started: threading.Barrier | None = None,
) -> None:
    backend = backend_for(spec)
    key, window = backend.array_key(spec), backend.array_window_s(spec)
    assert key is not None
    with coalescer.announce(backend, spec):
        if started is not None:  # every controller has started (as Snakemake starts them)
            started.wait(5)
        time.sleep(delay)  # loading the study, asking for parameters
        out[task] = coalescer.submit(key, window, task, record)  # type: ignore[arg-type]


def test_a_lone_controller_submits_at_once(slurm_spec) -> None:  # type: ignore[no-untyped-def]
    spec, coalescer, record, out = slurm_spec(5.0), Coalescer(), Recorder(), {}
    started = time.monotonic()
    controller(coalescer, spec, "a", record, 0, out)
    assert time.monotonic() - started < 1
    assert record.batches == [["a"]] and out == {"a": (0, 0)}


def test_controllers_starting_together_share_one_batch(slurm_spec) -> None:  # type: ignore[no-untyped-def]
    spec, coalescer, record, out = slurm_spec(1.0), Coalescer(), Recorder(), {}
    barrier = threading.Barrier(3)
    threads = [
        threading.Thread(target=controller, args=(coalescer, spec, t, record, d, out, barrier))
        for t, d in (("a", 0.0), ("b", 0.3), ("c", 0.6))  # each within the window of the last
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert time.monotonic() - started < 1.5  # no window paid once all have joined
    assert record.batches == [["a", "b", "c"]]
    assert out == {"a": (0, 0), "b": (0, 1), "c": (0, 2)}


def test_a_controller_that_will_not_submit_is_not_waited_for(slurm_spec) -> None:  # type: ignore[no-untyped-def]
    spec, coalescer, record, out = slurm_spec(5.0), Coalescer(), Recorder(), {}
    withdrawn, go = threading.Event(), threading.Event()

    def reattaching() -> None:
        with coalescer.announce(backend_for(spec), spec):
            go.wait(5)
            coalescer.withdraw()  # its trial's job is already running: it waits for that
            withdrawn.set()
            time.sleep(0.5)

    other = threading.Thread(target=reattaching)
    other.start()
    started = time.monotonic()
    go.set()
    withdrawn.wait(5)
    controller(coalescer, spec, "a", record, 0, out)
    assert time.monotonic() - started < 1
    other.join()
    assert record.batches == [["a"]]


def test_the_window_bounds_the_wait_for_a_late_controller(slurm_spec) -> None:  # type: ignore[no-untyped-def]
    spec, coalescer, record, out = slurm_spec(0.3), Coalescer(), Recorder(), {}
    late = threading.Thread(target=controller, args=(coalescer, spec, "late", record, 2.0, out))
    late.start()
    time.sleep(0.05)
    started = time.monotonic()
    controller(coalescer, spec, "a", record, 0, out)
    assert 0.25 < time.monotonic() - started < 1.5
    late.join(10)
    assert record.batches == [["a"], ["late"]]


def test_only_slurm_jobs_with_a_window_coalesce(make_spec) -> None:  # type: ignore[no-untyped-def]
    def coalescing(**overrides: Any) -> bool:
        spec = make_spec(**overrides)[1]
        return coalesces(backend_for(spec), spec)

    assert coalescing(dispatch={"executor": "slurm"})
    assert not coalescing()  # local
    assert not coalescing(dispatch={"executor": "slurm", "slurm": {"array_window_s": 0}})
