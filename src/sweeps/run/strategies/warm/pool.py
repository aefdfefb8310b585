"""The sweep's warm worker jobs: started when published trials need lanes, stopped at the end.

``<id>.json`` in the workers' folder is written when a worker job is submitted; the worker
touches ``<id>.beat`` while it runs (it holds the worker's ``host:pid:start``, so a worker
killed on this host is seen gone at once) and removes both when it exits. A lock file serialises the
decision to start workers between the sweep's controllers.

A worker reaches the study the way the run that started it did: through that run's storage
proxy, if it had one (recorded as ``proxy``: which storage and the address, no token). A proxy
ends with its run; a later run's controllers cancel the workers still bound to a proxy that is
not theirs (:meth:`WorkerPool.retire_unreachable`): their calls could only be retried until the
retry deadline, and their trials are retried on workers of this run.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from optuna.storages import BaseStorage

from sweeps.run.executors import backend_for, make_executor
from sweeps.spec import SweepSpec
from sweeps.spec.paths import SweepPaths
from sweeps.storage.locks import file_lock
from sweeps.storage.proxy import PROXY_ENV
from sweeps.study.controllers import process_gone
from sweeps.worker.lanes import lane_count, worker_gpus
from sweeps.worker.queue import published, spec_key
from sweeps.worker.wakeups import ask_to_stop, clear_stop, stop_requested
from sweeps.worker.worker import run_worker


class WorkerPool:
    """The sweep's warm worker jobs, as recorded in its workers' folder."""

    def __init__(self, spec: SweepSpec) -> None:
        self.spec = spec
        self.folder = SweepPaths.of(spec).workers
        self.lanes = lane_count(spec)

    def ensure(self, storage: BaseStorage, study_id: int) -> list[str]:
        """Start worker jobs until the published trials have lanes (at most ``workers``); no
        more than ``parallelism`` trials need one (the rest are handed over ahead)."""
        key, parallelism = spec_key(self.spec), self.spec.parallelism
        return self.provide(lambda: min(len(published(storage, study_id, key)), parallelism))

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

    def retire_unreachable(self) -> list[str]:
        """Cancel the workers bound to a storage proxy other than this run's (an earlier run's,
        gone with it); return their job ids, after one line on standard error."""
        ours = os.environ.get(PROXY_ENV, "")
        stale: dict[Path, str] = {}
        for record_file in self.folder.glob("w*.json"):
            with contextlib.suppress(OSError, ValueError, KeyError):
                record = json.loads(record_file.read_text())
                if record.get("proxy", "") != ours:
                    stale[record_file] = str(record["job_id"])
        if not stale:
            return []
        cancelled = backend_for(self.spec).cancel(sorted(stale.values()))
        for record_file in stale:
            record_file.unlink(missing_ok=True)
            (self.folder / f"{record_file.stem}.beat").unlink(missing_ok=True)
        if cancelled:  # local workers end with the run that started them: none to cancel
            print(
                f"note: warm worker jobs {', '.join(cancelled)} reached the study through another"
                " run's storage proxy, which ended with it: cancelled; their trials are retried",
                file=sys.stderr,
                flush=True,
            )
        return cancelled

    def live(self) -> list[str]:
        """Ids of workers running or still starting; records of dead ones are removed, and
        workers this run cannot reach the study with are cancelled."""
        warm = self.spec.dispatch.warm
        self.retire_unreachable()
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
                fresh = fresh and not _process_gone(beat)
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
        ask_to_stop(self.folder)

    def cancel(self) -> list[str]:
        """Stop the workers now: ask them to stop and cancel their jobs where the executor can;
        return the job ids (none when another controller of the sweep already did: every
        interrupted controller calls this)."""
        if stop_requested(self.folder):
            return []
        self.stop()
        job_ids = []
        for record_file in self.folder.glob("w*.json"):
            with contextlib.suppress(OSError, ValueError, KeyError):
                job_ids.append(str(json.loads(record_file.read_text())["job_id"]))
        return backend_for(self.spec).cancel(job_ids)

    def _start(self, count: int) -> list[str]:
        """Submit ``count`` worker jobs: one job array when there are several."""
        clear_stop(self.folder)
        worker_ids = [f"w{uuid.uuid4().hex[:10]}" for _ in range(count)]
        executor = make_executor(worker_job_spec(self.spec), requeueable=False)
        batch = executor.batch() if count > 1 else contextlib.nullcontext()
        with batch:
            jobs = [executor.submit(run_worker, self.spec, w, str(self.folder)) for w in worker_ids]
        for worker_id, job in zip(worker_ids, jobs, strict=True):
            record = {
                "worker": worker_id,
                "job_id": str(job.job_id),
                "submitted_at": time.time(),
                "result": str(job.paths.result_pickle),
                "lanes": self.lanes,
                "proxy": os.environ.get(PROXY_ENV, ""),
            }
            (self.folder / f"{worker_id}.json").write_text(json.dumps(record))
        return worker_ids


def _process_gone(beat: Path) -> bool:
    """Whether the worker that writes ``beat`` ran on this host and has exited."""
    with contextlib.suppress(OSError):
        return process_gone(beat.read_text())
    return False


def worker_job_spec(spec: SweepSpec) -> SweepSpec:
    """The spec whose resources describe a worker job: all its lanes, for ``warm.time_min``.

    Its GPUs are :func:`worker_gpus`: on a partition that hands out whole nodes
    (``dispatch.slurm.limits.<partition>.whole_nodes``), all the node's unless
    ``warm.gpus_per_worker`` says otherwise. ``dispatch.slurm.gpus_per_node`` (a trial job's)
    does not apply to it; ``dispatch.slurm.cpus_per_task``, like ``resources.cpus``, is each
    lane's."""
    lanes = lane_count(spec)
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
    per_task = spec.dispatch.slurm.cpus_per_task
    per_job = None if per_task is None else per_task * lanes
    slurm = spec.dispatch.slurm.model_copy(update={"gpus_per_node": None, "cpus_per_task": per_job})
    dispatch = spec.dispatch.model_copy(update={"slurm": slurm})
    return spec.model_copy(update={"resources": resources, "dispatch": dispatch})
