"""A trial's billed GPU-hours (the :data:`sweeps.spec.facts.COST` group), by its partition's
rule in the site file."""

from __future__ import annotations

import functools
import re
import subprocess
from typing import Any

from sweeps.run.executors.slurm.accounting import JobInfo
from sweeps.spec.billing import Billing, BillingRule, Usage, bill
from sweeps.spec.facts import BILLED_GPU_HOURS, BILLED_NODE_HOURS, BILLING_RULE, JOB_SHARE

NO_RULE = BillingRule(rule="gpu_share")  # a partition the site file does not list
_GPU_WEIGHT = re.compile(r"TRESBillingWeights=\S*?GRES/gpu(?::[^=,]+)?=(\d+(?:\.\d+)?)", re.I)


def cost_facts(info: JobInfo, billing: Billing, share: float = 1.0) -> dict[str, Any]:
    """:data:`BILLED_GPU_HOURS`, :data:`JOB_SHARE`, :data:`BILLING_RULE` (and, by a whole-node
    rule, :data:`BILLED_NODE_HOURS`) of the job ``info`` describes, by their names in the cost
    group (a warm lane: its ``share`` of the job's GPUs, for the time
    ``info`` says it ran)."""
    rule = billing.rule_for(info.partition)
    weight = None
    if rule is not None and rule.rule == "billing_tres" and rule.units_per_gpu_hour is None:
        weight = partition_gpu_weight(info.partition.split(",")[0])
    usage = Usage(
        gpus=info.gpus,
        nodes=info.nodes,
        elapsed_s=info.elapsed_s,
        billing=info.billing,
        gpu_weight=weight,
        share=share,
    )
    billed = bill(rule or NO_RULE, usage)
    text = billed.rule
    if rule is None:
        text += f" (no billing rule for partition {info.partition!r} in the site file)"
    facts = {
        BILLED_GPU_HOURS.name: billed.billed_gpu_hours,
        JOB_SHARE.name: round(share, 6),
        BILLING_RULE.name: text,
    }
    if billed.node_hours is not None:
        facts[BILLED_NODE_HOURS.name] = billed.node_hours
    return facts


@functools.cache
def partition_gpu_weight(partition: str) -> float | None:
    """What one GPU weighs in ``partition``'s ``TRESBillingWeights`` (``scontrol``); None when
    the partition sets none or Slurm does not answer."""
    try:
        done = subprocess.run(
            ["scontrol", "show", "partition", "-o", partition],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _GPU_WEIGHT.search(done.stdout) if done.returncode == 0 else None
    return float(match.group(1)) if match else None
