"""Parsing Slurm's answers and the politeness cap (pure functions, no cluster needed)."""

from __future__ import annotations

from sweeps.run.executors.slurm.accounting import (
    JobInfo,
    array_id,
    expand_job_id,
    parse_sacct,
    parse_squeue,
    steps_signal,
)
from sweeps.run.executors.slurm.facts import slurm_facts, with_accounted_energy
from sweeps.run.executors.slurm.limits import SiteLimits, parse_assoc

SACCT = """\
41|PREEMPTED|small-g|nid005001|billing=8,cpu=7,gres/gpu=1,mem=60G,node=1|2026-01-01T10:00:00|2026-01-01T10:00:30|2026-01-01T10:10:00|570|0:15|0|0:0
41|COMPLETED|small-g|nid005002|billing=8,cpu=7,gres/gpu=1,mem=60G,node=1|2026-01-01T10:10:01|2026-01-01T10:12:01|2026-01-01T11:12:01|3600|0:0|0|0:0
42_3|NODE_FAIL|standard-g|nid005003|cpu=56,gres/gpu:mi250=8,node=1|2026-01-01T10:00:00|2026-01-01T10:00:00|2026-01-01T10:01:00|60|0:0|0|0:0
43|CANCELLED by 1000|small-g|None assigned||2026-01-01T10:00:00|Unknown|\
2026-01-01T10:00:05|0|0:0|0|0:0
"""


def test_sacct_rows_become_job_records_with_requeues() -> None:
    jobs = parse_sacct(SACCT)
    assert jobs["41"].state == "COMPLETED"
    assert jobs["41"].requeues == 1
    assert jobs["41"].node == "nid005002"
    assert jobs["41"].gpus == 1
    assert jobs["41"].queue_wait_s == 120
    assert jobs["41"].allocated_gpu_hours == 1.0
    assert jobs["42_3"].array_index == 3
    assert jobs["42_3"].gpus == 8
    assert jobs["42_3"].state == "NODE_FAIL"
    assert jobs["43"].state == "CANCELLED"
    assert jobs["43"].node == ""
    assert jobs["43"].queue_wait_s is None
    assert not jobs["43"].active


# Captured from the test cluster: a trial process killed with kill -9, its step recorded as
# CANCELLED 0:9 while the job shows FAILED 9:0 with DerivedExitCode 0:0.
KILLED_STEPS = """\
125|9:0
125.batch|9:0
125.0|0:9
1250.0|0:15
"""


def test_the_signal_that_ended_a_step_is_read_from_the_steps_records() -> None:
    assert steps_signal(KILLED_STEPS, "125") == 9  # 1250's step is another job's
    assert steps_signal("125|9:0\n125.batch|9:0\n125.0|1:0\n", "125") is None
    assert steps_signal("7_2.0|0:15\n7_2.batch|0:0\n", "7_2") == 15
    info = JobInfo(job_id="125", state="FAILED", exit_code="9:0", derived_exit_code="0:0")
    assert info.step_signal is None
    assert JobInfo(**{**info.__dict__, "steps_signal": 9}).step_signal == 9


def test_squeue_stands_in_for_sacct() -> None:
    jobs = parse_squeue("7|RUNNING|small-g|localhost\n8|PENDING|small-g|\n")
    assert jobs["7"].active and jobs["8"].state == "PENDING"


def test_association_limits_apply_to_the_partition_or_all() -> None:
    text = "|200|210\nsmall-g|150|\nstandard-g|10|20\n"
    assert parse_assoc(text, "small-g") == (150, 210)
    assert parse_assoc(text, None) == (10, 20)
    assert parse_assoc("||\n", "small-g") == (None, None)


def test_cap_respects_parallelism_and_what_the_user_already_queued() -> None:
    assert SiteLimits().cap(8) == 8
    assert SiteLimits(max_jobs=200, max_submit=210, queued_now=205).cap(8) == 5
    assert SiteLimits(max_submit=210, queued_now=300).cap(8) == 1


# Captured from the test cluster: array 267 (tasks 0-5, task 1 cancelled while pending) and
# array 270 (tasks 0-3, throttled %4, as submitit submits them), held, then released.
SACCT_ARRAYS = """\
267_[0,2-5]|PENDING|small-g|None assigned||2026-11-28T07:17:50|Unknown|Unknown|0|0:0|0|0:0
270_[0-3%4]|PENDING|small-g|None assigned||2026-11-28T07:18:06|Unknown|Unknown|0|0:0|0|0:0
"""
SACCT_ARRAY_STARTED = """\
267_0|RUNNING|small-g|localhost|billing=1,cpu=1,mem=50M,node=1|2026-11-28T07:17:50|2026-11-28T07:17:54|Unknown|4|0:0|0|0:0
267_2|RUNNING|small-g|localhost|billing=1,cpu=1,mem=50M,node=1|2026-11-28T07:17:50|2026-11-28T07:17:54|Unknown|4|0:0|0|0:0
267_[3-5]|PENDING|small-g|None assigned||2026-11-28T07:17:50|Unknown|Unknown|0|0:0|0|0:0
"""
SACCT_ARRAY_CANCELLED = """\
267_0|CANCELLED by 0|small-g|localhost|billing=1,cpu=1,mem=50M,node=1|\
2026-11-28T07:17:50|2026-11-28T07:17:54|2026-11-28T07:18:07|13|0:0|0|0:0
267_[3-5]|CANCELLED by 0|small-g|None assigned||2026-11-28T07:17:50|None|\
2026-11-28T07:18:07|0|0:0|0|0:0
"""
# Array 323 with task 0 requeued while it ran (scontrol requeue 323_0).
SACCT_ARRAY_REQUEUED = """\
323_0|REQUEUED|small-g|localhost|billing=1,cpu=1,mem=50M,node=1|\
2026-11-28T07:33:11|2026-11-28T07:33:12|2026-11-28T07:33:15|3|0:0|0|0:0
323_1|RUNNING|small-g|localhost|billing=1,cpu=1,mem=50M,node=1|\
2026-11-28T07:33:11|2026-11-28T07:33:12|Unknown|9|0:0|0|0:0
323_0|PENDING|small-g|None assigned||2026-11-28T07:33:15|Unknown|Unknown|0|0:0|0|0:0
"""
SQUEUE_ARRAYS = """\
267_[3-4]|PENDING|small-g|
267_0|RUNNING|small-g|localhost
270_[0-3%4]|PENDING|small-g|
267|CANCELLED|small-g|
"""


def test_collapsed_array_ids_expand_to_their_tasks() -> None:
    assert expand_job_id("267_[0,2-5]") == ["267_0", "267_2", "267_3", "267_4", "267_5"]
    assert expand_job_id("270_[0-3%4]") == ["270_0", "270_1", "270_2", "270_3"]
    assert expand_job_id("267_[3]") == ["267_3"]
    assert expand_job_id("267_3") == ["267_3"]
    assert expand_job_id("41") == ["41"]
    assert array_id("267_3") == "267" and array_id("41") == "41"


def test_pending_array_tasks_have_one_record_each() -> None:
    jobs = parse_sacct(SACCT_ARRAYS)
    assert sorted(jobs) == [
        "267_0",
        "267_2",
        "267_3",
        "267_4",
        "267_5",
        *(f"270_{i}" for i in range(4)),
    ]
    assert "267_1" not in jobs  # cancelled while pending: not in the array's record any more
    assert all(job.state == "PENDING" and job.active for job in jobs.values())
    assert jobs["270_2"].job_id == "270_2" and jobs["270_2"].array_index == 2
    assert jobs["267_5"].requeues == 0 and jobs["267_5"].node == ""


def test_started_array_tasks_leave_the_collapsed_record() -> None:
    jobs = parse_sacct(SACCT_ARRAY_STARTED)
    assert jobs["267_0"].state == "RUNNING" and jobs["267_0"].node == "localhost"
    assert jobs["267_2"].queue_wait_s == 4
    assert [jobs[f"267_{i}"].state for i in (3, 4, 5)] == ["PENDING"] * 3
    ended = parse_sacct(SACCT_ARRAY_CANCELLED)
    assert {ended[j].state for j in ("267_0", "267_3", "267_5")} == {"CANCELLED"}
    assert not ended["267_4"].active and ended["267_4"].array_index == 4


def test_squeue_array_records_expand_too() -> None:
    jobs = parse_squeue(SQUEUE_ARRAYS)
    assert jobs["267_3"].state == jobs["267_4"].state == "PENDING"
    assert jobs["267_0"].state == "RUNNING" and jobs["267_0"].node == "localhost"
    assert [jobs[f"270_{i}"].array_index for i in range(4)] == [0, 1, 2, 3]
    assert jobs["267"].array_index is None  # the array's own record once it ended


def test_a_requeued_array_task_counts_its_earlier_run() -> None:
    jobs = parse_sacct(SACCT_ARRAY_REQUEUED)
    assert jobs["323_0"].state == "PENDING" and jobs["323_0"].requeues == 1
    assert jobs["323_1"].state == "RUNNING" and jobs["323_1"].requeues == 0


def test_consumed_energy_is_read_where_accounting_gathers_it() -> None:
    line = "9|COMPLETED|small-g|n1|billing=1,cpu=1,node=1|{t}|{t}|{t}|60|0:0|{energy}|0:0"
    at = "2026-01-01T00:00:00"
    gathered = parse_sacct(line.format(t=at, energy="7200"))["9"]
    assert gathered.energy_j == 7200.0
    assert slurm_facts(gathered)["consumed_energy_wh"] == 2.0
    # acct_gather_energy/none (the test cluster) prints 0; an unknown figure prints NO_VAL64
    for cell in ("0", "", "18446744073709551614"):
        info = parse_sacct(line.format(t=at, energy=cell))["9"]
        assert info.energy_j is None
        assert "consumed_energy_wh" not in slurm_facts(info)


def test_accounted_energy_stands_in_only_where_the_job_measured_none() -> None:
    info = JobInfo("9", "COMPLETED", energy_j=3600.0)
    measured = {"energy.wh": 0.5, "energy.source": "nvml"}
    assert with_accounted_energy(measured, info) == measured
    unmeasured = {"energy.not_measured": "rapl: no RAPL zones", "runtime_s": 3.0}
    assert with_accounted_energy(unmeasured, info) == {
        "runtime_s": 3.0,
        "energy.wh": 1.0,
        "energy.source": "slurm ConsumedEnergyRaw",
    }
    assert with_accounted_energy(unmeasured, JobInfo("9", "COMPLETED")) == unmeasured
