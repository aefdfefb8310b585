"""Parsing Slurm's answers and the politeness cap (pure functions, no cluster needed)."""

from __future__ import annotations

from sweeps.dispatch.limits import SiteLimits, parse_assoc
from sweeps.dispatch.sacct import parse_sacct, parse_squeue

SACCT = """\
41|PREEMPTED|small-g|nid005001|billing=8,cpu=7,gres/gpu=1,mem=60G,node=1|2026-01-01T10:00:00|2026-01-01T10:00:30|2026-01-01T10:10:00|570|0:15
41|COMPLETED|small-g|nid005002|billing=8,cpu=7,gres/gpu=1,mem=60G,node=1|2026-01-01T10:10:01|2026-01-01T10:12:01|2026-01-01T11:12:01|3600|0:0
42_3|NODE_FAIL|standard-g|nid005003|cpu=56,gres/gpu:mi250=8,node=1|2026-01-01T10:00:00|2026-01-01T10:00:00|2026-01-01T10:01:00|60|0:0
43|CANCELLED by 1000|small-g|None assigned||2026-01-01T10:00:00|Unknown|2026-01-01T10:00:05|0|0:0
"""


def test_sacct_rows_become_job_records_with_requeues() -> None:
    jobs = parse_sacct(SACCT)
    assert jobs["41"].state == "COMPLETED"
    assert jobs["41"].requeues == 1
    assert jobs["41"].node == "nid005002"
    assert jobs["41"].gpus == 1
    assert jobs["41"].queue_wait_s == 120
    assert jobs["41"].gpu_hours == 1.0
    assert jobs["42_3"].array_index == 3
    assert jobs["42_3"].gpus == 8
    assert jobs["42_3"].state == "NODE_FAIL"
    assert jobs["43"].state == "CANCELLED"
    assert jobs["43"].node == ""
    assert jobs["43"].queue_wait_s is None
    assert not jobs["43"].active


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
