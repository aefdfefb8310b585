"""Warm-worker dispatch, controller side: publish the trial, make sure workers run, await.

The trial slot's controller creates and suggests its trial as in job mode; instead of
submitting a job it publishes the trial (WAITING, with its task recorded on it) for the sweep's
warm workers (:mod:`sweeps.trial.worker`), starts a worker job when fewer run than the published
trials need (bounded by ``dispatch.warm.workers``; a lock file serialises the decision between
controllers), and waits until a worker records the outcome. A trial whose worker stops beating
its heartbeat is a lost attempt: failed, retryable. The controller remains the only writer of
the trial's final state.
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import optuna
from optuna.storages import BaseStorage
from optuna.trial import TrialState

from sweeps.dispatch.base import make_executor
from sweeps.spec import SweepSpec
from sweeps.storage.attrs import set_trial_attrs
from sweeps.storage.locks import file_lock
from sweeps.study.slots import fail_retryable, slot_trials
from sweeps.trial.interrupt import STOP
from sweeps.trial.paths import results_dir
from sweeps.trial.queue import (
    HEARTBEAT,
    OUTCOME,
    TASK,
    WORKER,
    outcome_from_record,
    published,
    spec_key,
    task_record,
)
from sweeps.trial.signals import ring, wait_for_outcome_flag
from sweeps.trial.task import TrialOutcome, TrialTask
from sweeps.trial.worker import STOP_FILE, lane_bindings, serve, worker_gpus


def dispatch_warm(
    spec: SweepSpec, study: optuna.Study, trial: optuna.Trial, task: TrialTask
) -> TrialOutcome:
    """Hand ``trial`` to the warm workers and return the outcome one of them records."""
    storage = study._storage
    trial_id = trial._trial_id
    _fail_unclaimed(study, task.slot, trial.number)
    set_trial_attrs(
        storage,
        trial_id,
        user={"executor": spec.dispatch.executor, "dispatch": "warm", "seed": task.seed},
        system={TASK: task_record(task)},
    )
    storage.set_trial_state_values(trial_id, TrialState.WAITING)  # published: workers may claim
    pool = WorkerPool(spec)
    pool.ensure(storage, study._study_id)
    ring(pool.folder)
    with _fail_on_interrupt(spec, storage, trial_id, pool):
        return _await(spec, storage, trial_id, pool, study._study_id)


def reattach_warm(spec: SweepSpec, study: optuna.Study, trial: optuna.Trial) -> TrialOutcome:
    """Wait again for a published trial whose controller died (a worker may still run it)."""
    pool = WorkerPool(spec)
    with _fail_on_interrupt(spec, study._storage, trial._trial_id, pool):
        return _await(spec, study._storage, trial._trial_id, pool, study._study_id)


_UNSEEN = object()


def _await(
    spec: SweepSpec, storage: BaseStorage, trial_id: int, pool: WorkerPool, study_id: int
) -> TrialOutcome:
    warm = spec.dispatch.warm
    last_beat: Any = _UNSEEN
    beat_seen = time.monotonic()
    last_ensure = time.monotonic()
    while True:
        if STOP.is_set():  # Ctrl-C while controllers run as threads
            raise KeyboardInterrupt
        frozen = storage.get_trial(trial_id)
        who = frozen.system_attrs.get(WORKER, {})
        facts = {"executor": spec.dispatch.executor, "dispatch": "warm"}
        if who:
            facts.update({"worker": who.get("worker"), "job_id": who.get("job_id")})
        record = frozen.system_attrs.get(OUTCOME)
        if record is not None:
            outcome = outcome_from_record(record)
            outcome.facts = {**outcome.facts, **facts}
            return outcome
        now = time.monotonic()
        if frozen.state == TrialState.RUNNING:
            beat = frozen.system_attrs.get(HEARTBEAT)
            if beat != last_beat:  # compare changes, not clocks: workers run on other hosts
                last_beat, beat_seen = beat, now
            elif now - beat_seen > warm.heartbeat_timeout_s:
                return _worker_lost(spec, who, facts)
        elif frozen.state == TrialState.WAITING and now - last_ensure > max(warm.heartbeat_s, 1):
            pool.ensure(storage, study_id)  # a worker may have gone idle or died meanwhile
            last_ensure = now
        elif frozen.state.is_finished():
            raise RuntimeError(f"trial {frozen.number} was finished by someone else")
        wait_for_outcome_flag(pool.folder, trial_id, spec.dispatch.poll_interval_s)


class WorkerPool:
    """The sweep's warm worker jobs, as recorded in ``results/<study>/workers/``.

    ``<id>.json`` is written when a worker job is submitted; the worker touches ``<id>.beat``
    while it runs and removes both when it exits.
    """

    def __init__(self, spec: SweepSpec) -> None:
        self.spec = spec
        self.folder = results_dir(spec) / "workers"
        self.lanes = len(lane_bindings(spec))

    def ensure(self, storage: BaseStorage, study_id: int) -> list[str]:
        """Start worker jobs until the published trials have lanes (at most ``workers``)."""
        return self.provide(lambda: len(published(storage, study_id, spec_key(self.spec))))

    def provide(self, demand: Callable[[], int]) -> list[str]:
        """Start worker jobs until ``demand()`` trials have lanes (at most ``workers``)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        started = []
        with file_lock(self.folder / ".lock"):
            live = self.live()
            want = min(self.spec.dispatch.warm.workers, math.ceil(demand() / self.lanes))
            if want > len(live):
                started = self._start(want - len(live))
        return started

    def live(self) -> list[str]:
        """Ids of workers running or still starting; records of dead ones are removed."""
        warm = self.spec.dispatch.warm
        alive = []
        for record_file in self.folder.glob("w*.json"):
            try:
                record = json.loads(record_file.read_text())
            except (OSError, ValueError):
                continue
            beat = self.folder / f"{record['worker']}.beat"
            ended = Path(record["result"]).exists()
            if beat.exists():
                fresh = time.time() - beat.stat().st_mtime < warm.heartbeat_timeout_s
            else:
                fresh = time.time() - record["submitted_at"] < warm.start_timeout_s
            if fresh and not ended:
                alive.append(record["worker"])
            else:
                record_file.unlink(missing_ok=True)
                beat.unlink(missing_ok=True)
        return alive

    def stop(self) -> None:
        """Ask the sweep's workers to exit once their current trials end."""
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / STOP_FILE).touch()

    def cancel(self) -> list[str]:
        """Stop the workers now: their Slurm jobs are cancelled; return the job ids (none when
        another controller of the sweep already did: every interrupted controller calls this)."""
        if (self.folder / STOP_FILE).exists():
            return []
        self.stop()
        if self.spec.dispatch.executor != "slurm":
            return []  # local workers see the stop file and exit after their current trial
        job_ids = []
        for record_file in self.folder.glob("w*.json"):
            with contextlib.suppress(OSError, ValueError, KeyError):
                job_ids.append(str(json.loads(record_file.read_text())["job_id"]))
        if job_ids:
            subprocess.run(["scancel", *job_ids], capture_output=True, check=False)
        return job_ids

    def _start(self, count: int) -> list[str]:
        """Submit ``count`` worker jobs: one job array on Slurm when there are several."""
        (self.folder / STOP_FILE).unlink(missing_ok=True)
        worker_ids = [f"w{uuid.uuid4().hex[:10]}" for _ in range(count)]
        executor = make_executor(worker_job_spec(self.spec), requeueable=False)
        batch = executor.batch() if count > 1 else contextlib.nullcontext()
        with batch:
            jobs = [executor.submit(serve, self.spec, w, str(self.folder)) for w in worker_ids]
        for worker_id, job in zip(worker_ids, jobs, strict=True):
            record = {
                "worker": worker_id,
                "job_id": str(job.job_id),
                "submitted_at": time.time(),
                "result": str(job.paths.result_pickle),
                "lanes": self.lanes,
            }
            (self.folder / f"{worker_id}.json").write_text(json.dumps(record))
        return worker_ids


def _worker_lost(spec: SweepSpec, who: dict[str, Any], facts: dict[str, Any]) -> TrialOutcome:
    """The outcome of a trial whose worker stopped beating: retried, unless Slurm says the
    worker job ran out of memory or was cancelled by a user."""
    warm = spec.dispatch.warm
    lost = (
        f"warm worker {who.get('worker')} (lane {who.get('lane')}, host {who.get('host')}) "
        f"lost: no heartbeat for {warm.heartbeat_timeout_s:g} s"
    )
    job_id = str(who.get("job_id") or "")
    state = _slurm_state(job_id) if spec.dispatch.executor == "slurm" and job_id else None
    if state == "OUT_OF_MEMORY":
        reason = f"out of memory: Slurm worker job {job_id} exceeded its memory limit ({lost})"
        return TrialOutcome("fail", reason=reason, facts=facts)
    if state == "CANCELLED":
        reason = f"Slurm worker job {job_id} was cancelled (scancel); not retried"
        return TrialOutcome("fail", reason=reason, facts=facts)
    if state:
        lost += f"; its Slurm job {job_id} is {state}"
    return TrialOutcome("fail", reason=lost, facts=facts, retryable=True)


def _slurm_state(job_id: str) -> str | None:
    from sweeps.dispatch.sacct import SacctError, job_record

    try:
        info = job_record(job_id)
    except SacctError:
        return None
    return info.state if info else None


def worker_job_spec(spec: SweepSpec) -> SweepSpec:
    """The spec whose resources describe a worker job: all its lanes, for ``warm.time_min``."""
    lanes = len(lane_bindings(spec))
    res = spec.resources
    resources = res.model_copy(
        update={
            "gpus": worker_gpus(spec),
            "cpus": res.cpus * lanes,
            "mem_gb": res.mem_gb * lanes,
            "time_min": spec.dispatch.warm.time_min,
            "tasks_per_node": 1,  # one worker process; it starts its lanes itself
        }
    )
    return spec.model_copy(update={"resources": resources})


def _fail_unclaimed(study: optuna.Study, slot: int, current: int) -> None:
    """Fail trials a dead controller of this slot published but no one will ever tell."""
    for old in slot_trials(study, slot):
        if old.number != current and old.state == TrialState.WAITING:
            fail_retryable(study._storage, old._trial_id, "its controller died")


@contextlib.contextmanager
def _fail_on_interrupt(
    spec: SweepSpec, storage: BaseStorage, trial_id: int, pool: WorkerPool
) -> Iterator[None]:
    """An interrupted controller fails its trial (retryable) and cancels the sweep's worker
    jobs, unless ``dispatch.slurm.on_interrupt: keep`` (a re-run then re-attaches)."""
    previous: Any = None
    main = threading.current_thread() is threading.main_thread()

    def _raise(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if main:
        previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    except KeyboardInterrupt:
        if spec.dispatch.executor == "slurm" and spec.dispatch.slurm.on_interrupt == "keep":
            print(
                "sweeps: interrupted; warm workers left running (on_interrupt: keep)",
                file=sys.stderr,
                flush=True,
            )
            raise
        fail_retryable(storage, trial_id, "interrupted: the sweep was stopped")
        cancelled = pool.cancel()
        if cancelled:
            print(
                f"sweeps: interrupted; cancelled warm worker jobs {', '.join(sorted(cancelled))}",
                file=sys.stderr,
                flush=True,
            )
        raise
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
