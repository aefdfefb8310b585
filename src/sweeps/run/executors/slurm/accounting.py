"""Slurm accounting: what happened to a job, read with one batched ``sacct`` call per round.

Every trial slot's controller polls its own job, but the sweep's controllers share one status
file beside the job folders: whichever controller finds it stale refreshes it for all jobs of
the sweep still in flight (under a lock), so Slurm sees one query per round, not one per job.

Array tasks are ``A_i``. Slurm shows the tasks of an array that have not started as one
collapsed record (``A_[0,2-5%4]``), which ``sacct -j A_i`` does not return: arrays are asked
for by their id ``A`` and collapsed records are expanded to one record per task.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import subprocess
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sweeps.run.executors.slurm.outcomes import SlurmState, exit_signal, meaning

FIELDS = (
    "JobID",
    "State",
    "Partition",
    "NodeList",
    "AllocTRES",
    "Submit",
    "Start",
    "End",
    "ElapsedRaw",
    "ExitCode",
    "ConsumedEnergyRaw",
    "DerivedExitCode",
)
_GPUS = re.compile(r"gres/gpu(?::[^=,]+)?=(\d+)")
_BILLING = re.compile(r"(?:^|,)billing=(\d+(?:\.\d+)?)")
_NODES = re.compile(r"(?:^|,)node=(\d+)")
_NOT_GATHERED = 2**63  # sacct prints NO_VAL64 (2**64 - 2) where a job's energy is unknown
_COLLAPSED = re.compile(r"^(\d+)_\[([\d,-]+)(?:%\d+)?\]$")


class SacctError(RuntimeError):
    """``sacct`` failed (accounting disabled or slurmdbd down)."""


@dataclass(frozen=True)
class JobInfo:
    """The accounting record of one job (its latest run) and how often it was requeued."""

    job_id: str
    state: str
    partition: str = ""
    node: str = ""
    gpus: float = 0  # a warm lane's share of its worker's GPUs may be a fraction
    submit: str = ""
    start: str = ""
    end: str = ""
    elapsed_s: int = 0
    exit_code: str = ""
    derived_exit_code: str = ""  # the highest of its steps': ``0:9`` if one was killed by SIGKILL
    steps_signal: int | None = None  # read from the steps' own records (see with_step_signal)
    requeues: int = 0
    billing: float | None = None  # the billing TRES, where accounting records it
    nodes: int = 1
    energy_j: float | None = None  # ConsumedEnergyRaw, where the site's accounting gathers it

    @property
    def active(self) -> bool:
        return meaning(self.state).active

    @property
    def step_signal(self) -> int | None:
        """The signal that ended one of the job's steps, if any."""
        return exit_signal(self.derived_exit_code) or self.steps_signal

    @property
    def array_index(self) -> int | None:
        _, sep, index = self.job_id.partition("_")
        return int(index) if sep and index.isdigit() else None

    @property
    def queue_wait_s(self) -> float | None:
        return _seconds_between(self.submit, self.start)

    @property
    def allocated_gpu_hours(self) -> float:
        """Allocated GPUs x elapsed hours, as Slurm counts GPUs (on LUMI: GCDs); what a site
        bills is :mod:`sweeps.run.executors.slurm.billing`'s."""
        return round(self.gpus * self.elapsed_s / 3600, 6)


def expand_job_id(job_id: str) -> list[str]:
    """The array tasks of a collapsed id (``A_[0,2-4%2]``: ``A_0, A_2, A_3, A_4``); any other
    id as itself."""
    match = _COLLAPSED.match(job_id)
    if match is None:
        return [job_id]
    array, ranges = match.groups()
    tasks: list[str] = []
    for part in filter(None, ranges.split(",")):
        first, _, last = part.partition("-")
        tasks += [f"{array}_{i}" for i in range(int(first), int(last or first) + 1)]
    return tasks


def array_id(job_id: str) -> str:
    """The array an array task ``A_i`` belongs to (``A``); a plain job id as itself."""
    return job_id.partition("_")[0]


def query_jobs(job_ids: list[str], timeout_s: float = 60) -> dict[str, JobInfo]:
    """The records of ``job_ids`` (one ``sacct`` call); unknown ids are absent.

    Array tasks are asked for through their array (a pending task is only in its array's
    collapsed record). When accounting does not answer (slurmdbd or its database down),
    ``squeue`` stands in: it knows queued jobs and, for a few minutes, ended ones.
    """
    if not job_ids:
        return {}
    ids = ",".join(sorted({array_id(j) for j in job_ids}))
    try:
        out = _run(["sacct", "-X", "-D", "-n", "-P", "-o", ",".join(FIELDS), "-j", ids], timeout_s)
        found = parse_sacct(out)
    except SacctError as sacct_error:
        try:
            return query_queue(job_ids, timeout_s)
        except SacctError:
            raise sacct_error from None
    return {j: found[j] for j in job_ids if j in found}


def with_step_signal(info: JobInfo, timeout_s: float = 60) -> JobInfo:
    """``info`` with the signal that ended one of its steps, read from the steps' records when
    the job's ``DerivedExitCode`` shows none: a step killed from outside can be recorded as
    ``CANCELLED 0:9`` while the job shows ``FAILED 9:0`` with ``DerivedExitCode 0:0``."""
    if info.state != SlurmState.FAILED or info.step_signal is not None:
        return info
    try:
        command = ["sacct", "-D", "-n", "-P", "-o", "JobID,ExitCode", "-j", info.job_id]
        out = _run(command, timeout_s)
    except SacctError:
        return info
    found = steps_signal(out, info.job_id)
    return info if found is None else replace(info, steps_signal=found)


def steps_signal(text: str, job_id: str) -> int | None:
    """The highest signal in the exit codes of ``job_id``'s steps (``sacct -o
    JobID,ExitCode -P`` output, steps included); None if no step was ended by one."""
    signals = []
    for line in text.splitlines():
        step, _, code = line.strip().partition("|")
        if step.startswith(f"{job_id}.") and (number := exit_signal(code)) is not None:
            signals.append(number)
    return max(signals, default=None)


def job_record(job_id: str) -> JobInfo | None:
    """One job's record: accounting's, else slurmctld's (accounting may not know a job
    submitted a moment ago); None when neither knows it. Raises :class:`SacctError` when
    accounting does not answer."""
    info = query_jobs([job_id]).get(job_id)
    if info is not None:
        return info
    try:
        return query_queue([job_id]).get(job_id)
    except SacctError:  # unknown to slurmctld too
        return None


def query_queue(job_ids: list[str], timeout_s: float = 60) -> dict[str, JobInfo]:
    """What slurmctld itself says of ``job_ids`` (``squeue -r``: one line per array task; no
    accounting lag)."""
    ids = ",".join(job_ids)
    out = _run(["squeue", "-h", "-r", "--states=all", "-o", SQUEUE_FORMAT, "-j", ids], timeout_s)
    return parse_squeue(out)


def _run(command: list[str], timeout_s: float) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise SacctError(f"{command[0]} failed: {err}") from err
    if done.returncode != 0:
        raise SacctError(f"{command[0]} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


SQUEUE_FORMAT = "%i|%T|%P|%N"


def parse_squeue(text: str) -> dict[str, JobInfo]:
    """Parse ``squeue -o '%i|%T|%P|%N'`` output (fewer facts than sacct); collapsed array
    records become one record per task."""
    infos = {}
    for line in text.splitlines():
        cells = line.strip().split("|")
        if len(cells) == 4:
            job_id, state, partition, node = cells
            for task in expand_job_id(job_id):
                infos[task] = JobInfo(job_id=task, state=state, partition=partition, node=node)
    return infos


def parse_sacct(text: str) -> dict[str, JobInfo]:
    """Parse ``sacct -X -D -n -P`` output; a requeued job's earlier runs count as requeues and
    a collapsed array record (tasks not started yet) counts for each of its tasks."""
    runs: dict[str, list[dict[str, str]]] = {}
    for line in text.splitlines():
        cells = line.split("|")
        if len(cells) != len(FIELDS):
            continue
        row = dict(zip(FIELDS, cells, strict=True))
        for job_id in expand_job_id(row["JobID"]):
            runs.setdefault(job_id, []).append(row)
    infos = {}
    for job_id, rows in runs.items():
        last = rows[-1]
        match = _GPUS.search(last["AllocTRES"])
        billing = _BILLING.search(last["AllocTRES"])
        nodes = _NODES.search(last["AllocTRES"])
        infos[job_id] = JobInfo(
            job_id=job_id,
            state=last["State"].split()[0] if last["State"] else SlurmState.UNKNOWN,
            partition=last["Partition"],
            node=last["NodeList"] if last["NodeList"] != "None assigned" else "",
            gpus=int(match.group(1)) if match else 0,
            submit=last["Submit"],
            start=last["Start"],
            end=last["End"],
            elapsed_s=int(last["ElapsedRaw"] or 0),
            exit_code=last["ExitCode"],
            derived_exit_code=last["DerivedExitCode"],
            requeues=len(rows) - 1,
            billing=float(billing.group(1)) if billing else None,
            nodes=int(nodes.group(1)) if nodes else 1,
            energy_j=consumed_energy_j(last["ConsumedEnergyRaw"]),
        )
    return infos


def consumed_energy_j(cell: str) -> float | None:
    """A job's ``ConsumedEnergyRaw`` in joules; None where accounting gathers no energy (an
    empty cell, 0 with ``AcctGatherEnergyType=acct_gather_energy/none``, or NO_VAL)."""
    try:
        joules = float(cell)
    except ValueError:
        return None
    return joules if 0 < joules < _NOT_GATHERED else None


class StatusBoard:
    """A status file shared by a sweep's controllers; refreshed by one ``sacct`` per round."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def poll(self, job_id: str, max_age_s: float) -> JobInfo | None:
        """``job_id``'s record, refreshing the whole board first if it is older than allowed."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            _lock(lock)
            board = self._read()
            watch = set(board["watch"]) | {job_id}
            unseen = job_id not in board["watch"] and job_id not in board["jobs"]
            if unseen or time.time() - board["at"] >= max_age_s:
                fresh = query_jobs(sorted(watch))
                board["jobs"].update({k: asdict(v) for k, v in fresh.items()})
                board["at"] = time.time()
                watch = {j for j in watch if j not in fresh or fresh[j].active}
            board["watch"] = sorted(watch)
            self._write(board)
        record = board["jobs"].get(job_id)
        return JobInfo(**record) if record else None

    def forget(self, job_id: str) -> None:
        """Stop refreshing ``job_id`` (its controller is done with it)."""
        with open(self.path.with_suffix(".lock"), "a") as lock:
            _lock(lock)
            board = self._read()
            board["watch"] = [j for j in board["watch"] if j != job_id]
            self._write(board)

    def _read(self) -> dict[str, Any]:
        try:
            board: dict[str, Any] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {"at": 0.0, "watch": [], "jobs": {}}
        return board

    def _write(self, board: dict[str, Any]) -> None:
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(board))
        tmp.replace(self.path)


def _lock(handle: IO[str]) -> None:
    """Hold the board's lock; where the file system has no flock, go on without it (worst
    case: two controllers query sacct in the same round)."""
    with contextlib.suppress(OSError):
        fcntl.flock(handle, fcntl.LOCK_EX)


def _seconds_between(first: str, second: str) -> float | None:
    try:
        return (datetime.fromisoformat(second) - datetime.fromisoformat(first)).total_seconds()
    except ValueError:
        return None
