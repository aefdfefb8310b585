"""Billing rules: what a job held, in billed GPU-hours, by each rule of the registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.specs import base_spec

from sweeps.spec.billing import BillingRule, Usage, bill
from sweeps.spec.errors import SpecError
from sweeps.spec.load import spec_from_dict

# billing TRES, units per GPU-hour (None: the partition's GPU weight), GPU weight, billed, source
TRES_CASES = [
    (16.0, 8.0, None, 2.0, "billing_tres: sacct billing=16 / 8 x hours"),
    (24.0, None, 6.0, 4.0, "billing_tres: sacct billing=24 / 6 x hours"),
    (None, 8.0, None, 1.0, "gpu_share: 1 GPU(s) x 1 x hours (no billing TRES recorded)"),
    (16.0, None, None, 1.0, "gpu_share: 1 GPU(s) x 1 x hours (no GPU weight known)"),
]


@pytest.mark.parametrize(("tres", "units", "weight", "hours", "rule"), TRES_CASES)
def test_the_billing_tres_is_preferred_where_recorded(
    tres: float | None, units: float | None, weight: float | None, hours: float, rule: str
) -> None:
    usage = Usage(gpus=1, nodes=1, elapsed_s=3600, billing=tres, gpu_weight=weight)
    billed = bill(BillingRule(rule="billing_tres", units_per_gpu_hour=units), usage)
    assert (billed.billed_gpu_hours, billed.rule) == (pytest.approx(hours), rule)


def test_an_unknown_rule_is_refused_naming_the_key(tmp_path: Path) -> None:
    data = base_spec(dispatch={"slurm": {"billing": {"default": {"rule": "per_module"}}}})
    with pytest.raises(SpecError) as err:
        spec_from_dict(data, source=tmp_path / "sweep.yaml")
    assert "dispatch.slurm.billing.default.rule = 'per_module'" in str(err.value)


def test_a_whole_node_rule_bills_node_hours_and_a_lane_its_share_of_them() -> None:
    rule = BillingRule(rule="whole_node", per_node=4)
    job = bill(rule, Usage(gpus=8, nodes=2, elapsed_s=1800))
    assert (job.billed_gpu_hours, job.node_hours) == (4.0, 1.0)  # 2 nodes for half an hour
    lane = bill(rule, Usage(gpus=8, nodes=1, elapsed_s=3600, share=1 / 8))
    assert (lane.billed_gpu_hours, lane.node_hours) == (0.5, 0.125)
    assert lane.rule == "whole_node: 1 node(s) x 4 x hours; lane share 0.125"
    per_gpu = bill(
        BillingRule(rule="gpu_share", per_gpu=0.5), Usage(gpus=1, nodes=1, elapsed_s=3600)
    )
    assert per_gpu.node_hours is None  # billed by the GPU: no node-hours to show
