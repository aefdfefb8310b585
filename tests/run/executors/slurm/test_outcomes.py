"""How a Slurm job's end becomes a trial outcome: one table, one row per state (no cluster
needed: a job record as sacct gives it, and the job's folder on disk)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import submitit

from sweeps.job.task import TrialOutcome
from sweeps.run.executors.slurm.accounting import JobInfo
from sweeps.run.executors.slurm.outcomes import LOST, STATES, StateMeaning, active_states, meaning
from sweeps.run.executors.slurm.watch import SlurmWatch, slurm_outcome


def ended(tmp_path: Path, state: str, stderr: str = "", derived: str = "0:0") -> TrialOutcome:
    """The outcome of job 42 that ended in ``state`` without a result (``derived``: its
    ``DerivedExitCode``)."""
    job: submitit.SlurmJob[object] = submitit.SlurmJob(folder=tmp_path / "%j", job_id="42")
    job.paths.folder.mkdir(parents=True, exist_ok=True)
    job.paths.stderr.write_text(stderr + "\n")
    info = JobInfo(job_id="42", state=state, gpus=1, derived_exit_code=derived)
    return slurm_outcome(job, SlurmWatch(info=info))


@pytest.mark.parametrize(
    ("state", "retryable", "reason"),
    [
        ("TIMEOUT", True, "Slurm job 42 ended TIMEOUT"),
        ("PREEMPTED", True, "Slurm job 42 ended PREEMPTED"),
        ("NODE_FAIL", True, "Slurm job 42 ended NODE_FAIL"),
        ("OUT_OF_MEMORY", False, "out of memory: Slurm job 42 exceeded its memory limit"),
        ("CANCELLED", True, "Slurm job 42 was cancelled outside the sweep (scancel); the attempt"),
        ("FAILED", False, "Slurm job 42 ended FAILED without a result: boom"),
        ("SOMETHING_NEW", False, "Slurm job 42 ended SOMETHING_NEW without a result: boom"),
    ],
)
def test_each_state_ends_the_attempt_as_its_row_says(
    tmp_path: Path, state: str, retryable: bool, reason: str
) -> None:
    outcome = ended(tmp_path, state, stderr="boom")
    assert outcome.state == "fail"
    assert outcome.retryable is retryable
    assert outcome.reason is not None and outcome.reason.startswith(reason)
    assert outcome.facts["slurm"]["state"] == state


def test_the_oom_killer_in_the_log_makes_a_failure_out_of_memory(tmp_path: Path) -> None:
    outcome = ended(tmp_path, "FAILED", stderr="slurmstepd: error: Detected 1 oom-kill event")
    assert outcome.reason is not None and outcome.reason.startswith("out of memory")
    assert not outcome.retryable


# Captured from the test cluster: the trial's process killed with kill -9 while its job ran.
KILLED_STEP_LOG = "srun: error: nid001: task 0: Killed\nsrun: Force Terminated StepId=1.0"


@pytest.mark.parametrize("signal", [9, 15, 2, 1])
def test_a_job_failed_by_a_kill_from_outside_is_a_lost_attempt(tmp_path: Path, signal: int) -> None:
    outcome = ended(tmp_path, "FAILED", stderr=KILLED_STEP_LOG, derived=f"0:{signal}")
    assert outcome.retryable
    assert outcome.reason is not None
    assert f"killed by signal {signal} (SIG" in outcome.reason
    assert "from outside the sweep" in outcome.reason


def test_a_step_killed_from_outside_counts_where_derived_exit_code_misses_it(
    tmp_path: Path,
) -> None:
    job: submitit.SlurmJob[object] = submitit.SlurmJob(folder=tmp_path / "%j", job_id="42")
    job.paths.folder.mkdir(parents=True, exist_ok=True)
    job.paths.stderr.write_text(KILLED_STEP_LOG + "\n")
    info = JobInfo(job_id="42", state="FAILED", exit_code="9:0", derived_exit_code="0:0")
    assert not slurm_outcome(job, SlurmWatch(info=info)).retryable
    killed = slurm_outcome(job, SlurmWatch(info=replace(info, steps_signal=9)))
    assert killed.retryable
    assert killed.reason is not None and "killed by signal 9 (SIGKILL)" in killed.reason


def test_a_kill_with_an_oom_event_or_a_crash_signal_is_final(tmp_path: Path) -> None:
    oom = ended(tmp_path / "oom", "FAILED", stderr="Detected 1 oom-kill event", derived="0:9")
    assert not oom.retryable and oom.reason is not None and oom.reason.startswith("out of memory")
    crash = ended(tmp_path / "segv", "FAILED", stderr="Segmentation fault", derived="0:11")
    assert not crash.retryable
    assert crash.reason == "Slurm job 42 ended FAILED without a result: Segmentation fault"
    exit_code = ended(tmp_path / "exit", "FAILED", stderr="boom", derived="1:0")
    assert not exit_code.retryable


def test_a_new_state_is_one_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(STATES, "RESV_DEL_HOLD", StateMeaning(active=True))
    monkeypatch.setitem(STATES, "POWER_LOST", LOST)
    assert JobInfo(job_id="1", state="RESV_DEL_HOLD").active
    assert "RESV_DEL_HOLD" in active_states()
    outcome = ended(tmp_path, "POWER_LOST")
    assert outcome.retryable and outcome.reason == "Slurm job 42 ended POWER_LOST"


def test_active_states_are_the_table_rows_that_say_so() -> None:
    assert {"PENDING", "RUNNING", "REQUEUED", "COMPLETING"} <= active_states()
    assert not {"COMPLETED", "FAILED", "TIMEOUT", "CANCELLED"} & active_states()
    assert meaning("UNHEARD_OF") == meaning("FAILED")
