"""Run a command objective: the training script as a child process of the trial job.

Intermediate values (stdout JSON lines with ``step``, ``sweeps.client.report``, or what
``objective.metrics_from`` reads: sweeps.job.metrics_reader) go to the study as they come,
through the trial's handle, so pruners act while the script runs. When the pruner says stop,
``sweeps.client.should_prune`` answers True and the script is terminated if it has not exited
``prune_grace_s`` later. Other output passes through to the job's log and the trial's log file.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, TextIO

from sweeps import client
from sweeps.job.command_result import (
    intermediate,
    json_object,
    read_metrics_file,
    result_extras,
    result_values,
)
from sweeps.job.handle import TrialHandle
from sweeps.job.judge import judge_result
from sweeps.job.metrics_reader import MetricsReader
from sweeps.job.staging import DATA_VAR
from sweeps.job.task import TrialOutcome, TrialTask
from sweeps.job.trial_dir import (
    TRIAL_DIR_VAR,
    command_cwd,
    from_project,
    make_trial_dirs,
    metrics_path,
    trial_dir,
    trial_placeholders,
)
from sweeps.spec.command import DATA_PLACEHOLDER, command_words, expand
from sweeps.spec.conditions import conditional_names
from sweeps.spec.facts import RESULT, fact_key
from sweeps.spec.launch import ranks_per_node
from sweeps.spec.metrics import objective_value_count

STDERR_TAIL_LINES = 60
KILL_AFTER_TERM_S = 5.0
_POLL_S = 0.05
PR_SET_PDEATHSIG = 1


def command_argv(task: TrialTask, args_json_file: str = "") -> list[str]:
    """The trial's command line."""
    objective = task.spec.objective
    context = {
        "interpreter": sys.executable,
        "program": objective.program or "",
        "args_json_file": args_json_file,
    }
    words = command_words(objective.command, objective.program)
    placeholders = command_placeholders(task)
    absent = frozenset(conditional_names(task.spec.space) - set(task.params))
    argv = expand(words, {**task.params, **objective.args}, context, placeholders, absent)
    return from_project(argv, workdir(task))


def command_placeholders(task: TrialTask) -> dict[str, str]:
    """The ``{name}`` words a command may hold besides its parameters and fixed args."""
    return {**data_placeholders(task), **launcher_placeholders(task), **trial_placeholders(task)}


def expand_word(task: TrialTask, word: str) -> str:
    """A word outside the command (``metrics_from.tensorboard.dir``), expanded as the
    command's words are."""
    objective = task.spec.objective
    context = {"interpreter": sys.executable, "program": objective.program or ""}
    values = {**task.params, **objective.args}
    return "".join(expand([word], values, context, command_placeholders(task)))


def launcher_placeholders(task: TrialTask) -> dict[str, str]:
    """``{nnodes}``, ``{nproc_per_node}``, ``{node_rank}``, ``{rdzv_endpoint}`` for a command
    started once per node (``objective.launch: per_node``), from this job's rendezvous."""
    if task.spec.objective.launch != "per_node":
        return {}
    resources = task.spec.resources
    port = os.environ.get("MASTER_PORT") or str(29500 + os.getpid() % 1000)
    return {
        "nnodes": str(resources.nodes),
        "nproc_per_node": str(ranks_per_node(resources.gpus, resources.tasks_per_node)),
        "node_rank": os.environ.get("RANK", "0"),
        "rdzv_endpoint": f"{os.environ.get('MASTER_ADDR', 'localhost')}:{port}",
    }


def data_placeholders(task: TrialTask) -> dict[str, str]:
    """``{data}``: the staged data set (before staging, as when checked: its source)."""
    stage = task.spec.data.stage
    if stage is None:
        return {}
    return {DATA_PLACEHOLDER: os.environ.get(DATA_VAR) or str(stage)}


def workdir(task: TrialTask) -> Path:
    """Where the command runs: ``objective.cwd``, else the project (sweeps.job.trial_dir)."""
    return command_cwd(task)


def exit_reason(code: int) -> str:
    """``exit code 3``, or ``killed by signal 9 (SIGKILL)``."""
    if code >= 0:
        return f"exit code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = "unknown"
    return f"killed by signal {-code} ({name})"


def run_command(task: TrialTask, handle: TrialHandle) -> TrialOutcome:
    """Run the trial's command to its end and say how the trial ended."""
    with tempfile.TemporaryDirectory(prefix=f"sweeps-trial-{task.number}-") as tmp:
        return _Run(task, handle, Path(tmp)).outcome()


class _Run:
    """One run of the command: its process, the readers of its output, what it reported."""

    def __init__(self, task: TrialTask, handle: TrialHandle, tmp: Path) -> None:
        self.task, self.handle, self.spec = task, handle, task.spec
        self.channel, self.status = tmp / "channel.jsonl", tmp / "status.json"
        self.values = {**task.params, **task.spec.objective.args}
        params_file = tmp / "params.json"
        params_file.write_text(json.dumps(self.values))
        self.argv = command_argv(task, str(params_file))
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr_tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
        self.result: dict[str, Any] | None = None
        self.pruned_at: tuple[int, float] | None = None  # (step, monotonic time)
        self.acked = 0
        self._offset = 0
        self._partial = ""
        self.reader = metrics_reader(task)

    def outcome(self) -> TrialOutcome:
        self.channel.touch()
        self._answer()
        self.handle.log.info("running %s", self.argv[0])
        make_trial_dirs(self.task)
        try:
            proc = subprocess.Popen(
                self.argv,
                cwd=workdir(self.task),
                env=self._env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                bufsize=1,
                preexec_fn=_die_with_parent,
            )
        except OSError as err:
            return TrialOutcome("fail", reason=f"cannot run {self.argv[0]!r}: {err.strerror}")
        readers = [
            threading.Thread(target=self._read_stdout, args=(proc.stdout,), daemon=True),
            threading.Thread(target=self._read_stderr, args=(proc.stderr,), daemon=True),
        ]
        for reader in readers:
            reader.start()
        try:
            self._watch(proc)
        finally:
            _stop(proc)
        for reader in readers:
            reader.join(timeout=5)
        self._drain()
        self._poll_channel()
        self._relay_read(force=True)
        return self._judge(proc.returncode)

    def _env(self) -> dict[str, str]:
        env = {
            **os.environ,
            **self.spec.objective.env,
            client.CHANNEL_VAR: str(self.channel),
            client.STATUS_VAR: str(self.status),
            client.PARAMS_VAR: json.dumps(self.values),
            client.NUMBER_VAR: str(self.task.number),
            "SWEEPS_TRIAL_SEED": str(self.task.seed),
            "SWEEPS_TRIAL_SLOT": str(self.task.slot),
            "SWEEPS_CHECKPOINT_DIR": str(self.task.checkpoint_dir),
            TRIAL_DIR_VAR: str(trial_dir(self.task)),
            "PYTHONUNBUFFERED": "1",  # a Python script's lines arrive as they are printed
        }
        metrics_file = metrics_path(self.task)
        if metrics_file is not None:
            env["SWEEPS_METRICS_FILE"] = str(metrics_file)
        return env

    def _watch(self, proc: subprocess.Popen[str]) -> None:
        """Relay reports until the command exits; stop it when pruned and out of grace."""
        grace = self.spec.objective.prune_grace_s
        termed_at: float | None = None
        while proc.poll() is None:
            self._drain(timeout=_POLL_S)
            self._poll_channel()
            self._relay_read()
            now = time.monotonic()
            if self.pruned_at is not None and now - self.pruned_at[1] > grace:
                if termed_at is None:
                    self.handle.log.info("pruned; the command did not exit: terminating it")
                    proc.terminate()
                    termed_at = now
                elif now - termed_at > KILL_AFTER_TERM_S:
                    proc.kill()

    def _read_stdout(self, stream: TextIO) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))
            if self.reader is not None:
                self.reader.feed(line.rstrip("\n"))
        self.lines.put(None)

    def _read_stderr(self, stream: TextIO) -> None:
        for line in stream:
            text = line.rstrip("\n")
            self.stderr_tail.append(text)
            if self.reader is not None:
                self.reader.feed(text)
            print(text, file=sys.stderr, flush=True)
            self.handle.log.info("stderr: %s", text)

    def _drain(self, timeout: float = 0.0) -> None:
        while True:
            try:
                line = self.lines.get(timeout=timeout) if timeout else self.lines.get_nowait()
            except queue.Empty:
                return
            timeout = 0.0
            if line is not None:
                self._stdout_line(line)

    def _stdout_line(self, line: str) -> None:
        record = json_object(line)
        if record is None or ("step" in record and intermediate(record, self.spec) is None):
            print(line, flush=True)
            self.handle.log.info("%s", line)
            return
        found = intermediate(record, self.spec)
        if found is None:
            self.result = record
        else:
            self._report(*found)

    def _poll_channel(self) -> None:
        """Relay what ``sweeps.client.report`` appended since the last look, then answer."""
        with open(self.channel, encoding="utf-8") as channel:
            channel.seek(self._offset)
            chunk = channel.read()
            self._offset = channel.tell()
        text = self._partial + chunk
        *complete, self._partial = text.split("\n")
        for line in complete:
            record = json_object(line)
            if record is None:
                continue
            with contextlib.suppress(KeyError, TypeError, ValueError):
                self._report(int(record["step"]), float(record["value"]))
            self.acked = max(self.acked, int(record.get("seq", 0)))
        if complete:
            self._answer()

    def _report(self, step: int, value: float) -> None:
        if self.spec.multi_objective or self.pruned_at is not None:
            return  # Optuna prunes single-objective trials only
        self.handle.report(value=value, step=step)
        if self.handle.should_prune():
            self.pruned_at = (step, time.monotonic())
            self.handle.log.info("the pruner stops the trial at step %d", step)
            self._answer()

    def _answer(self) -> None:
        """Write the status file ``sweeps.client.should_prune`` reads (atomically)."""
        partial = self.status.with_suffix(".tmp")
        partial.write_text(json.dumps({"acked": self.acked, "prune": self.pruned_at is not None}))
        os.replace(partial, self.status)

    def _judge(self, code: int) -> TrialOutcome:
        if self.pruned_at is not None:
            return TrialOutcome(
                "pruned", reason=f"pruned by the pruner at step {self.pruned_at[0]}"
            )
        if code != 0:
            return TrialOutcome(
                "fail", reason=exit_reason(code), traceback="\n".join(self.stderr_tail) or None
            )
        values = self._values()
        if isinstance(values, str):
            return TrialOutcome("fail", reason=values)
        n_values = objective_value_count(self.spec)
        return judge_result(
            values[0] if n_values == 1 else values,
            n_values,
            self.spec.objective.allow_non_finite,
        )

    def _values(self) -> list[Any] | str:
        """The objective's values: ``metrics_from``'s, ``metrics_file``'s or the last JSON result
        line's; or why there are none."""
        if self.reader is not None:
            problem = self.reader.problem()
            if problem is not None:
                return problem
            self._record_extras(self.reader.final_extras())
            values = self.reader.final_values()
            if values is not None:
                return values
        metrics_file = metrics_path(self.task)
        record: dict[str, Any] | str | None = (
            read_metrics_file(metrics_file) if metrics_file is not None else self.result
        )
        if record is None:
            return "the command printed no result (a JSON object without 'step') on stdout"
        if isinstance(record, str):
            return record
        self._record_extras(result_extras(record, self.spec))
        return result_values(record, self.spec)

    def _relay_read(self, force: bool = False) -> None:
        """Report what ``metrics_from`` read since the last look (``force``: TensorBoard too)."""
        if self.reader is not None:
            for step, value in self.reader.take_reports(force):
                self._report(step, value)

    def _record_extras(self, extras: dict[str, Any]) -> None:
        """The result's other keys, as the trial's ``result.<key>`` user attributes."""
        if self.handle.rank != 0:
            return
        for name, value in extras.items():
            self.handle.set_user_attr(fact_key(RESULT, name), value)


def metrics_reader(task: TrialTask) -> MetricsReader | None:
    """The reader of ``objective.metrics_from`` for a run starting now, or None."""
    read = task.spec.objective.metrics_from
    if read is None:
        return None
    board = None
    if read.tensorboard is not None:
        board = workdir(task) / expand_word(task, read.tensorboard.dir)
    return MetricsReader(task.spec, board, since=time.time())


def _stop(proc: subprocess.Popen[str]) -> None:
    """Terminate the command if it still runs (the trial was interrupted), then kill it."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=KILL_AFTER_TERM_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _die_with_parent() -> None:
    """The command must not outlive a killed trial job (Linux: PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
