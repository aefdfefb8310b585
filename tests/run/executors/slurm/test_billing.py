"""Billing per site: each profile's rule turns a Slurm job's record into billed GPU-hours."""

from __future__ import annotations

import pytest
from support.specs import REPO, base_spec

from sweeps.run.executors.slurm.accounting import JobInfo, parse_sacct
from sweeps.run.executors.slurm.billing import cost_facts
from sweeps.spec.billing import Billing
from sweeps.spec.load import spec_from_dict
from sweeps.spec.sites import read_site


def site_billing(site: str) -> Billing:
    """The billing table of a shipped profile's site file."""
    data = read_site(REPO / "profiles" / site / "site.yaml")
    spec = spec_from_dict({**base_spec(), "dispatch": data["dispatch"]})
    return spec.dispatch.slurm.billing


# site, partition, GPUs (as Slurm counts them), nodes, elapsed s, billing TRES, billed GPU-hours
CASES = [
    ("lumi", "small-g", 1, 1, 3600, None, 0.5),  # one GCD for an hour: half a module
    ("lumi", "small-g", 2, 1, 3600, None, 1.0),  # a whole MI250X module
    ("lumi", "small-g", 8, 1, 1800, None, 2.0),  # 8 GCDs for half an hour
    ("lumi", "dev-g", 1, 1, 7200, None, 1.0),
    ("lumi", "standard-g", 1, 1, 3600, None, 4.0),  # whole node whatever was requested
    ("lumi", "standard-g", 8, 2, 900, None, 2.0),  # 2 nodes x 4 x 0.25 h
    ("saga", "accel", 1, 1, 3600, None, 1.0),  # no billing TRES recorded: 1 per GPU-hour
    ("betzy", "accel", 2, 1, 5400, None, 3.0),
    ("olivia", "accel", 4, 1, 1800, None, 2.0),  # 4 GH200 for half an hour
]


@pytest.mark.parametrize(("site", "partition", "gpus", "nodes", "elapsed", "tres", "hours"), CASES)
def test_each_site_bills_by_its_documented_rule(
    site: str, partition: str, gpus: int, nodes: int, elapsed: int, tres: float | None, hours: float
) -> None:
    info = JobInfo("1", "COMPLETED", partition, "n1", gpus, elapsed_s=elapsed, nodes=nodes)
    facts = cost_facts(info, site_billing(site))
    assert facts["billed_gpu_hours"] == pytest.approx(hours)
    assert facts["billing_rule"].split(":")[0] in {"gpu_share", "whole_node"}


def test_allocated_gpu_hours_stay_allocated_gpus_times_elapsed() -> None:
    info = JobInfo("1", "COMPLETED", "small-g", "n1", 1, elapsed_s=3600)
    assert info.allocated_gpu_hours == 1.0  # a GCD-hour, which LUMI bills as half a GPU-hour
    assert cost_facts(info, site_billing("lumi"))["billed_gpu_hours"] == 0.5


def test_a_warm_lane_is_charged_its_share_of_the_worker() -> None:
    """Four lanes on a whole standard-g node: each trial pays a quarter of the node's rate."""
    worker = JobInfo("9", "RUNNING", "standard-g", "n1", 8, elapsed_s=1800)
    facts = cost_facts(worker, site_billing("lumi"), share=0.25)
    assert facts["billed_gpu_hours"] == 0.5  # 4 GPU-hours per node-hour x 0.5 h x 1/4
    assert facts["billed_node_hours"] == 0.125  # a quarter of the node for half an hour
    assert facts["job_share"] == 0.25
    assert facts["billing_rule"].endswith("; lane share 0.25")
    small = cost_facts(
        JobInfo("9", "RUNNING", "small-g", "n1", 1, elapsed_s=1800), site_billing("lumi")
    )
    assert "billed_node_hours" not in small and small["job_share"] == 1


def test_a_partition_without_a_rule_says_so() -> None:
    info = JobInfo("1", "COMPLETED", "gpu", "n1", 2, elapsed_s=3600)
    facts = cost_facts(info, site_billing("lumi"))
    assert facts["billed_gpu_hours"] == 2.0
    assert "no billing rule for partition 'gpu'" in facts["billing_rule"]


def test_sacct_billing_and_nodes_are_read_from_alloc_tres() -> None:
    line = (
        "42|COMPLETED|small-g|n1|billing=16,cpu=7,gres/gpu=2,mem=120G,node=1|"
        "2026-01-01T00:00:00|2026-01-01T00:01:00|2026-01-01T01:01:00|3600|0:0|0|0:0"
    )
    info = parse_sacct(line)["42"]
    assert (info.billing, info.nodes, info.gpus) == (16.0, 1, 2)
    no_billing = parse_sacct(line.replace("billing=16,", ""))["42"]
    assert no_billing.billing is None
