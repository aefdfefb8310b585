"""A warm worker's billed allocation, and the idle overhead it leaves beyond its trials."""

from __future__ import annotations

from sweeps.controller.slot import tell_outcome
from sweeps.job.task import TrialOutcome
from sweeps.spec.facts import BILLED_GPU_HOURS
from sweeps.study import prepare_study
from sweeps.study.spending import worker_overhead
from sweeps.worker.allocation import record_allocation
from sweeps.worker.lanes import JOB_ID_VAR

STANDARD_G = {"partitions": {"standard-g": {"rule": "whole_node", "per_node": 4}}}


def test_a_worker_records_its_allocation_and_its_idle_time_is_overhead(
    make_spec, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Inside a Slurm job (its environment, as slurmd sets it), on a whole standard-g node."""
    _, spec = make_spec(
        resources={"gpus": 1, "time_min": 2},
        dispatch={
            "executor": "slurm",
            "mode": "warm",
            "warm": {"trials_per_gpu": 1, "gpus_per_worker": 8},
            "slurm": {"partition": "standard-g", "billing": STANDARD_G},
        },
    )
    study = prepare_study(spec)
    monkeypatch.setenv("SLURM_JOB_ID", "77")
    monkeypatch.setenv("SLURM_JOB_PARTITION", "standard-g")
    monkeypatch.setenv(JOB_ID_VAR, "77")
    assert record_allocation(spec, "w1", held_s=1800)  # half an hour of a node: 2 GPU-hours
    for worker, billed in (("w1", 0.25), ("w1", 0.5), ("w2", 9.0)):
        facts = {"worker": worker, "cost": {"billed_gpu_hours": billed}}
        tell_outcome(study, study.ask(), TrialOutcome("complete", values=[1.0], facts=facts))
    trials = study.get_trials()
    assert trials[0].user_attrs[BILLED_GPU_HOURS.key] == 0.25
    overhead = worker_overhead(study.user_attrs, trials)
    assert overhead is not None
    assert (overhead.workers, overhead.worker_billed_gpu_hours) == (1, 2.0)
    assert overhead.charged_gpu_hours == 0.75  # w2 recorded no allocation: not counted
    assert overhead.idle_gpu_hours == 1.25


def test_a_local_worker_bills_nothing(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(dispatch={"mode": "warm"})
    study = prepare_study(spec)
    assert not record_allocation(spec, "w1", held_s=600)
    assert worker_overhead(study.user_attrs, study.get_trials()) is None
