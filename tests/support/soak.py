"""A fault soak on the Slurm test cluster: one sweep on PostgreSQL, faults injected at seeded
random times, re-run as a user would until the budget is done, then every slot accounted for.

Shared by ``tests/slurm/test_slurm_fault_soak.py`` (short) and ``benchmarks/fault_soak.py``
(long). Counts, per fault kind (a fault is charged with the trials RUNNING in what it hit):

- lost: a slot without a COMPLETE trial (the objective always succeeds), or never run;
- duplicated: a slot with more than one final trial;
- left RUNNING: a RUNNING (or WAITING) trial after the final run;
- budget eaten: a final FAIL trial.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from support.databases import PASSWORD_ENV, Server, fresh_database, restart
from support.slurm import (
    bring_nodes_back,
    job_nodes,
    sleep_sweep,
    squeue_ids,
    start,
    start_requeued_now,
    sweeps_env,
    take_node_down,
)
from support.workflow import workflow_project
from sweeps.storage.proxy import PROXY_MODULE
from sweeps.study.controllers import controller_gone
from sweeps.study.keys import Attr, Key
from sweeps.study.slots import uncounted

JOB_KINDS = (
    "trial-kill9",
    "trial-scancel",
    "controller-kill9",
    "node-down",
    "snakemake-kill9",
    "snakemake-sigint",
    "postgres-restart",
)
WARM_KINDS = (  # the warm sweep reaches PostgreSQL through the storage proxy
    "lane-kill9",
    "worker-kill9",
    "worker-scancel",
    "controller-kill9",
    "node-down",
    "snakemake-kill9",
    "snakemake-sigint",
    "postgres-restart",
    "proxy-kill9",
)
BROAD = frozenset(  # hit every trial
    {"snakemake-kill9", "snakemake-sigint", "postgres-restart", "proxy-kill9"}
)
COUNTS = ("lost", "duplicated", "left RUNNING", "budget eaten")
OUTPUT_LINES = 40


@dataclass
class Fault:
    """One fault: its kind, when it was due (s after the first start), what it hit."""

    kind: str
    due_s: float
    injected_s: float | None = None
    hit: set[int] = field(default_factory=set)  # trial numbers RUNNING in what it hit
    note: str = ""


@dataclass
class SoakResult:
    """What one soak did and found."""

    mode: str
    n_trials: int
    faults: list[Fault]
    runs: int
    wall_s: float
    trials: list[FrozenTrial]
    max_retries: int
    uncounted: frozenset[int]
    log: list[str]
    outputs: list[str] = field(default_factory=list)  # each run's snakemake output

    def final(self, trial: FrozenTrial) -> bool:
        """Whether ``trial`` ended its slot (finished, and not an attempt to retry)."""
        if trial.state in (TrialState.RUNNING, TrialState.WAITING):
            return False
        if trial.state == TrialState.FAIL:
            if trial.number in self.uncounted:
                return False
            attempt = int(trial.system_attrs.get(Key.ATTEMPT, 0))
            if trial.system_attrs.get(Key.RETRYABLE) and attempt < self.max_retries:
                return False
        return True

    def sorted(self) -> list[FrozenTrial]:
        return sorted(self.trials, key=lambda t: t.number)

    def problems(self) -> dict[str, list[tuple[int, list[int]]]]:
        """Per count, the (slot, trial numbers) it was seen in."""
        by_slot: dict[int, list[FrozenTrial]] = {s: [] for s in range(self.n_trials)}
        for trial in sorted(self.trials, key=lambda t: t.number):
            by_slot.setdefault(int(trial.system_attrs.get(Key.SLOT, -1)), []).append(trial)
        found: dict[str, list[tuple[int, list[int]]]] = {name: [] for name in COUNTS}
        for slot, trials in by_slot.items():
            numbers = [t.number for t in trials]
            finals = [t for t in trials if self.final(t)]
            if not any(t.state == TrialState.COMPLETE for t in trials):
                found["lost"].append((slot, numbers[-1:]))  # charged to what ended its last
            if len(finals) > 1:
                found["duplicated"].append((slot, [t.number for t in finals]))
            for t in trials:
                if t.state in (TrialState.RUNNING, TrialState.WAITING):
                    found["left RUNNING"].append((slot, [t.number]))
            for t in finals:
                if t.state == TrialState.FAIL:
                    found["budget eaten"].append((slot, [t.number]))
        return found

    def by_kind(self) -> dict[str, dict[str, int]]:
        """Per fault kind: faults injected, trials hit and each count charged to it; a problem
        no fault hit is charged to ``unattributed``."""
        kinds = list(dict.fromkeys(f.kind for f in self.faults))
        rows = {k: {"injected": 0, "trials hit": 0, **dict.fromkeys(COUNTS, 0)} for k in kinds}
        rows["unattributed"] = {"injected": 0, "trials hit": 0, **dict.fromkeys(COUNTS, 0)}
        slot_of = {t.number: int(t.system_attrs.get(Key.SLOT, -1)) for t in self.trials}
        for fault in self.faults:
            if fault.injected_s is not None:
                rows[fault.kind]["injected"] += 1
                rows[fault.kind]["trials hit"] += len(fault.hit)
        for name, cases in self.problems().items():
            for slot, numbers in cases:
                rows[self.charged(slot, numbers, slot_of)][name] += 1
        return rows

    def charged(self, slot: int, numbers: list[int], slot_of: dict[int, int]) -> str:
        """The kind of the fault that ended one of ``numbers`` (else one of the slot's
        trials); ``unattributed`` when none hit them."""
        for match in (lambda n: n in numbers, lambda n: slot_of.get(n) == slot):
            if not numbers:  # a slot never run: no fault aimed at it
                break
            hits = [f for f in self.faults if f.injected_s is not None and any(map(match, f.hit))]
            if hits:  # a fault aimed at one job first, then the earliest (later ones saw it dying)
                return min(hits, key=lambda f: (f.kind in BROAD, f.injected_s or 0)).kind
        return "unattributed"

    def details(self) -> str:
        """The run's log, every trial (number, slot, attempt, state, reason), each run's
        output, and last (a report cut short keeps its tail) the trials of the problem slots."""
        lines = [*self.log, "trials:", *map(_trial_line, self.sorted())]
        for run, output in enumerate(self.outputs, 1):
            lines += [
                f"output {run} (last {OUTPUT_LINES} lines):",
                *output.splitlines()[-OUTPUT_LINES:],
            ]
        problem_slots = {slot for cases in self.problems().values() for slot, _ in cases}
        lines += ["the problem slots' trials:"]
        lines += [_trial_line(t) for t in self.sorted() if _slot(t) in problem_slots]
        return "\n".join(lines)


def _slot(trial: FrozenTrial) -> int:
    return int(trial.system_attrs.get(Key.SLOT, -1))


def _trial_line(trial: FrozenTrial) -> str:
    return (
        f"  #{trial.number} slot {_slot(trial)} attempt {trial.system_attrs.get(Key.ATTEMPT, 0)}"
        f" {trial.state.name} retryable={bool(trial.system_attrs.get(Key.RETRYABLE))}"
        f" {trial.user_attrs.get(Attr.FAIL_REASON, '')}"
    )


def parent_of(pid: int) -> int | None:
    """The parent pid of ``pid``; None once it is gone."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def schedule(
    kinds: Sequence[str], per_kind: int, seed: int, first_s: float, gap_s: tuple[float, float]
) -> list[Fault]:
    """``per_kind`` faults of each kind in a seeded random order, spaced by seeded gaps."""
    rng = random.Random(seed)
    order = [kind for kind in kinds for _ in range(per_kind)]
    rng.shuffle(order)
    due, faults = first_s, []
    for kind in order:
        faults.append(Fault(kind, round(due, 1)))
        due += rng.uniform(*gap_s)
    return faults


def soak_sweep(
    study: str, mode: str, n_trials: int, trial_s: int, max_retries: int, url: str
) -> dict[str, Any]:
    """The sweep: ``n_trials`` checkpointed trials of ``trial_s`` one-second steps, two at a
    time, one GPU each, on PostgreSQL (warm: through the storage proxy)."""
    dispatch: dict[str, Any] = {
        "executor": "slurm",
        "slurm": {"partition": "small-g", "gpus_per_node": 1, "status_interval_s": 1.0},
    }
    if mode == "warm":
        dispatch["mode"] = "warm"
        dispatch["warm"] = {
            "workers": 2,
            "time_min": 15,
            "heartbeat_s": 1,
            "heartbeat_timeout_s": 8,
        }
    sweep = sleep_sweep(
        study,
        trial_s,
        budget={"n_trials": n_trials, "max_retries": max_retries},
        parallelism=2,
        resources={"gpus": 1, "time_min": 3, "mem_gb": 0.5},
        dispatch=dispatch,
        storage=url,
    )
    sweep["objective"]["args"]["mode"] = "steps"
    if mode == "warm":
        sweep["storage_proxy"] = {"mode": "grpc", "connections": 2}
    return sweep


@contextmanager
def postgres_study() -> Iterator[Server]:
    """A fresh PostgreSQL database for the soak's study, dropped afterwards."""
    with fresh_database("postgresql") as server:
        yield server


class Soak:
    """Runs one soak (see :func:`run_soak`)."""

    def __init__(
        self, cwd: Path, study: str, server: Server, faults: list[Fault], trial_s: int
    ) -> None:
        self.cwd, self.study, self.server, self.faults = cwd, study, server, faults
        self.trial_s = trial_s
        self.slot_of: dict[int, int] = {}
        self.lane_of: dict[int, int] = {}  # warm: the pid of the lane running a trial
        self.env = {**sweeps_env(), PASSWORD_ENV: server.password}
        self.url = (
            f"postgresql+psycopg://{server.user}:{server.password}@127.0.0.1:5432/{server.database}"
        )
        self.name = f"sweeps-{study}"
        self.log: list[str] = []
        self.outputs: list[str] = []  # each run's snakemake output
        self.t0 = time.monotonic()
        self.rng = random.Random(len(faults))
        self.node_down_at: float | None = None

    def say(self, line: str) -> None:
        stamp = f"[{time.monotonic() - self.t0:6.1f} s] {line}"
        self.log.append(stamp)
        print(stamp, flush=True)

    def load(self) -> optuna.Study:
        return optuna.load_study(study_name=self.study, storage=self.url)

    def running_trials(self) -> list[FrozenTrial]:
        try:
            return self.load().get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        except Exception:  # the study may not exist yet, or the server restarts
            return []

    def jobs(self, state: str = "RUNNING") -> list[tuple[str, str]]:
        """(id as squeue shows it, raw job id) of the sweep's jobs in ``state``."""
        out = subprocess.run(
            ["squeue", "-h", "-n", self.name, "-t", state, "-o", "%i %A"],
            capture_output=True,
            text=True,
        ).stdout
        return [(line.split()[0], line.split()[1]) for line in out.splitlines() if line.strip()]

    def trials_of(self, job_id: str) -> set[int]:
        """Numbers of the RUNNING trials a job (a trial's job, or a warm worker) runs."""
        hit = set()
        for trial in self.running_trials():
            worker = trial.system_attrs.get(Key.WORKER) or {}
            jobs = {str(trial.system_attrs.get(Key.JOB_ID, "")), str(worker.get("job_id", ""))}
            if job_id in jobs:
                hit.add(trial.number)
                self.slot_of[trial.number] = int(trial.system_attrs.get(Key.SLOT, -1))
                if worker.get("pid"):
                    self.lane_of[trial.number] = int(worker["pid"])
        return hit

    def mid_trial(self, job_id: str) -> bool:
        """Whether the job runs a trial that is past its first step and not near its end (so
        a fault lands mid-trial, not on a trial already reporting its result)."""
        for number in self.trials_of(job_id):
            slot = self.slot_of.get(number)
            marker = self.cwd / "results" / self.study / "checkpoints" / f"slot-{slot}" / "step"
            try:
                step = int(marker.read_text() or 0)
            except (OSError, ValueError):
                continue
            if 1 <= step <= self.trial_s - 3:
                return True
        return False

    def trial_process(self, raw_id: str) -> int | None:
        """The pid of a trial job's Python process that runs the objective (the innermost)."""
        procs = self.pythons(raw_id)
        leaves = [pid for pid in procs if pid not in procs.values()]
        return max(leaves) if leaves else None

    @staticmethod
    def pythons(raw_id: str) -> dict[int, int]:
        """Python processes of a job on this machine (the test cluster's nodes), pid: ppid."""
        procs: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
                cmd = (entry / "cmdline").read_bytes().split(b"\0")[0]
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if f"SLURM_JOB_ID={raw_id}".encode() in environ and b"python" in cmd:
                procs[int(entry.name)] = ppid
        return procs

    def inject(self, fault: Fault, proc: subprocess.Popen[str]) -> bool:
        """Inject ``fault`` if what it needs is there (a running job, a lane); True if done."""
        kind = fault.kind
        if kind.startswith(("snakemake", "postgres", "proxy")):
            if not kind.startswith("postgres") and not self.running_trials():
                return False
            fault.hit = {t.number for t in self.running_trials()}
            if kind == "snakemake-kill9":
                os.killpg(proc.pid, signal.SIGKILL)
            elif kind == "snakemake-sigint":
                os.killpg(proc.pid, signal.SIGINT)
            elif kind == "proxy-kill9":
                proxies = [  # the run's own (its owner is the snakemake process)
                    pid
                    for pid, cmd in self.processes()
                    if PROXY_MODULE in cmd and parent_of(pid) == proc.pid
                ]
                if not proxies:
                    return False
                os.kill(proxies[0], signal.SIGKILL)
                return self.done(fault, f"proxy pid {proxies[0]}, trials {sorted(fault.hit)}")
            else:
                restart("postgresql")
            return self.done(fault, f"running trials {sorted(fault.hit)}")
        if kind == "controller-kill9":
            return self.kill_controller(fault)
        candidates = [(shown, raw) for shown, raw in self.jobs() if self.mid_trial(shown)]
        if not candidates:
            return False
        shown, raw = self.rng.choice(candidates)
        fault.hit = self.trials_of(shown)
        if kind == "trial-kill9":
            pid = self.trial_process(raw)
            if pid is None:
                return False
            os.kill(pid, signal.SIGKILL)
            return self.done(fault, f"pid {pid} of job {shown}, trials {sorted(fault.hit)}")
        if kind == "worker-kill9":  # the lane's parent: the worker process itself
            lanes = sorted({self.lane_of[n] for n in fault.hit if n in self.lane_of})
            worker = parent_of(lanes[0]) if lanes else None
            if worker is None:
                return False
            os.kill(worker, signal.SIGKILL)
            return self.done(
                fault, f"worker pid {worker} of job {shown}, trials {sorted(fault.hit)}"
            )
        if kind in ("trial-scancel", "worker-scancel"):
            subprocess.run(["scancel", shown], check=True)
        elif kind == "lane-kill9":
            pids = sorted({self.lane_of[n] for n in fault.hit if n in self.lane_of})
            if not pids:
                return False
            pid = self.rng.choice(pids)
            fault.hit = {n for n in fault.hit if self.lane_of.get(n) == pid}
            os.kill(pid, signal.SIGKILL)
            return self.done(fault, f"lane pid {pid} of job {shown}, trials {sorted(fault.hit)}")
        elif kind == "node-down":
            nodes = job_nodes(shown)
            for other, _ in self.jobs():  # every job on that node goes down with it
                if other != shown and nodes[0] in job_nodes(other):
                    fault.hit |= self.trials_of(other)
            take_node_down(nodes[0])
            self.node_down_at = time.monotonic()
            return self.done(fault, f"{nodes[0]} of job {shown}, trials {sorted(fault.hit)}")
        return self.done(fault, f"job {shown}, trials {sorted(fault.hit)}")

    def kill_controller(self, fault: Fault) -> bool:
        """SIGKILL the submit-host controller of a trial that is mid-way (its ``sweeps``
        process under ``snakemake``); its job goes on, and a re-run takes it over."""
        for shown, _ in self.jobs():
            if not self.mid_trial(shown):
                continue
            for trial in self.running_trials():
                if trial.number not in self.trials_of(shown):
                    continue
                recorded = str(trial.system_attrs.get(Key.CONTROLLER, ""))
                pid = recorded.rsplit(":", 2)[1] if recorded.count(":") >= 2 else ""
                if controller_gone(trial) or not pid.isdigit() or int(pid) == os.getpid():
                    continue  # e.g. a killed run's, not taken over yet
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:  # it ended just now
                    continue
                fault.hit = {trial.number}
                return self.done(fault, f"controller pid {pid} of trial {trial.number}")
        return False

    @staticmethod
    def processes() -> list[tuple[int, str]]:
        """(pid, command line) of this machine's processes."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                except OSError:
                    continue
                found.append((int(entry.name), cmd))
        return found

    def done(self, fault: Fault, note: str) -> bool:
        fault.injected_s = round(time.monotonic() - self.t0, 1)
        fault.note = note
        self.say(f"fault {fault.kind} (due {fault.due_s} s): {note}")
        return True

    def tend(self) -> None:
        """After a node went down: back in service after 5 s; its requeued jobs (held back by
        Slurm for two minutes) started at once, as a user in a hurry would."""
        if self.node_down_at is None:
            return
        for shown, _ in self.jobs("PENDING"):
            reason = subprocess.run(
                ["squeue", "-h", "-j", shown, "-o", "%r"], capture_output=True, text=True
            ).stdout
            if "BeginTime" in reason:
                start_requeued_now(shown)
        if time.monotonic() - self.node_down_at > 5:
            bring_nodes_back()
            if time.monotonic() - self.node_down_at > 60:
                self.node_down_at = None

    def snakemake(self, *args: str) -> subprocess.CompletedProcess[str]:
        proc = start(self.cwd, *args, env=self.env)
        out, _ = proc.communicate(timeout=300)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out)

    def run(self, max_runs: int, timeout_s: float) -> int:
        """Runs ``snakemake`` (then re-runs, as a user would) until a run ends with the budget
        done and every fault injected; returns how many runs it took."""
        pending = list(self.faults)
        runs = 0
        while runs < max_runs:
            runs += 1
            args = ("--cores", "2")  # the README's command: the project's profile does the rest
            proc = start(self.cwd, *args, env=self.env)
            self.say(f"run {runs}: snakemake {' '.join(args)} (pid {proc.pid})")
            while proc.poll() is None:
                now = time.monotonic() - self.t0
                if now > timeout_s:
                    os.killpg(proc.pid, signal.SIGKILL)
                    tail = (proc.stdout.read() if proc.stdout else "").splitlines()
                    raise TimeoutError(
                        f"soak over {timeout_s} s:\n"
                        + "\n".join([*self.log, "output:", *tail[-OUTPUT_LINES * 3 :]])
                    )
                if pending and now >= pending[0].due_s and self.inject(pending[0], proc):
                    pending.pop(0)
                self.tend()
                time.sleep(0.5)
            output = proc.stdout.read() if proc.stdout else ""
            self.say(f"run {runs} exited {proc.returncode}")
            self.outputs.append(output)
            if proc.returncode == 0 and not pending:
                break
            if proc.returncode == 0 and pending:  # the sweep ended before the faults did
                self.say(f"sweep done with {len(pending)} faults not injected")
                break
            unlocked = self.snakemake("--unlock")  # a killed snakemake leaves its lock
            if unlocked.returncode != 0:
                self.outputs.append(unlocked.stdout)
        self.node_down_at = self.node_down_at or time.monotonic()
        bring_nodes_back()
        deadline = time.monotonic() + 60  # the last run cancelled or saw end every job
        while squeue_ids(self.name) and time.monotonic() < deadline:
            time.sleep(1)
        return runs


def run_soak(
    workdir: Path,
    mode: str,
    n_trials: int,
    kinds: Sequence[str],
    per_kind: int = 1,
    seed: int = 0,
    trial_s: int = 8,
    gap_s: tuple[float, float] = (4.0, 9.0),
    first_s: float = 12.0,
    timeout_s: float = 900,
) -> SoakResult:
    """Run one soak in ``workdir``: the sweep of :func:`soak_sweep` on a fresh PostgreSQL
    database, ``per_kind`` faults of each of ``kinds`` at seeded times, re-runs until done."""
    study = f"soak-{mode}-{seed}"
    faults = schedule(kinds, per_kind, seed, first_s, gap_s)
    max_retries = 2 * len(faults) + 2
    with postgres_study() as server:
        url = f"postgresql+psycopg://{server.user}:${{{PASSWORD_ENV}}}@127.0.0.1:5432/"
        sweep = soak_sweep(study, mode, n_trials, trial_s, max_retries, url + server.database)
        cwd = workflow_project(workdir, sweep)
        soak = Soak(cwd, study, server, faults, trial_s)
        start_s = time.monotonic()
        try:
            runs = soak.run(max_runs=len(faults) + 4, timeout_s=timeout_s)
        finally:
            bring_nodes_back()
        study_now = soak.load()
        return SoakResult(
            mode=mode,
            n_trials=n_trials,
            faults=faults,
            runs=runs,
            wall_s=round(time.monotonic() - start_s, 1),
            trials=study_now.get_trials(deepcopy=False),
            max_retries=max_retries,
            uncounted=uncounted(study_now.user_attrs),
            log=soak.log,
            outputs=soak.outputs,
        )
