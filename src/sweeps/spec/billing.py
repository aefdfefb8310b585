"""How a site bills a job, in GPU-hours: one rule per partition, set in the profile's site file.

A rule turns what a job held (:class:`Usage`) into billed GPU-hours:

- ``gpu_share``: GPUs x ``per_gpu`` x hours (LUMI small-g: a GCD is half an MI250X module,
  ``per_gpu: 0.5``).
- ``whole_node``: nodes x ``per_node`` x hours, whatever was requested (LUMI standard-g: four
  modules per node, ``per_node: 4``).
- ``billing_tres``: Slurm's ``billing`` TRES x hours / ``units_per_gpu_hour`` (what one GPU
  weighs in the partition's ``TRESBillingWeights``); where a job's record has no ``billing``
  TRES, or no weight is known, the ``gpu_share`` rule with ``per_gpu``.

A warm worker's lane is charged its ``share`` of the job (its GPUs / the job's GPUs) for its
trial's time. A whole-node rule also gives the billed node-hours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sweeps.spec.numbers import Float

RuleName = Literal["gpu_share", "whole_node", "billing_tres"]


class BillingRule(BaseModel):
    """One partition's rule and its factors."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    rule: RuleName
    per_gpu: Float = Field(default=1.0, ge=0)
    per_node: Float = Field(default=0.0, ge=0)
    units_per_gpu_hour: Float | None = Field(default=None, gt=0)


class Billing(BaseModel):
    """How the site bills: a rule per partition; ``default`` for partitions not listed."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    partitions: dict[str, BillingRule] = Field(default_factory=dict)
    default: BillingRule | None = None

    def rule_for(self, partition: str) -> BillingRule | None:
        """The rule of ``partition`` (a job on several lists them comma-separated: the first)."""
        first = partition.split(",")[0]
        return self.partitions.get(first, self.default)


@dataclass(frozen=True)
class Usage:
    """What a job held, as accounting records it, and the part of it charged to one trial."""

    gpus: float
    nodes: int
    elapsed_s: float
    billing: float | None = None  # Slurm's billing TRES, when recorded
    gpu_weight: float | None = None  # GRES/gpu in the partition's TRESBillingWeights
    share: float = 1.0  # a warm lane's part of its worker's job

    @property
    def hours(self) -> float:
        return self.elapsed_s / 3600


@dataclass(frozen=True)
class Billed:
    """Billed GPU-hours and the rule (with its source) that gave them."""

    billed_gpu_hours: float
    rule: str
    node_hours: float | None = None  # billed node-hours, by a whole-node rule


def _gpu_share(rule: BillingRule, usage: Usage) -> Billed:
    hours = usage.gpus * rule.per_gpu * usage.hours * usage.share
    return Billed(hours, f"gpu_share: {usage.gpus:g} GPU(s) x {rule.per_gpu:g} x hours")


def _whole_node(rule: BillingRule, usage: Usage) -> Billed:
    node_hours = usage.nodes * usage.hours * usage.share
    rule_text = f"whole_node: {usage.nodes} node(s) x {rule.per_node:g} x hours"
    return Billed(node_hours * rule.per_node, rule_text, node_hours)


def _billing_tres(rule: BillingRule, usage: Usage) -> Billed:
    weight = rule.units_per_gpu_hour or usage.gpu_weight
    if usage.billing is None or not weight:
        missing = "no billing TRES recorded" if usage.billing is None else "no GPU weight known"
        fallback = _gpu_share(rule, usage)
        return Billed(fallback.billed_gpu_hours, f"{fallback.rule} ({missing})")
    hours = usage.billing / weight * usage.hours * usage.share
    return Billed(hours, f"billing_tres: sacct billing={usage.billing:g} / {weight:g} x hours")


RULES: dict[str, Callable[[BillingRule, Usage], Billed]] = {
    "gpu_share": _gpu_share,
    "whole_node": _whole_node,
    "billing_tres": _billing_tres,
}


def bill(rule: BillingRule, usage: Usage) -> Billed:
    """What ``usage`` costs by ``rule``, rounded to a millionth of a GPU-hour; a lane's share
    is named in the rule."""
    billed = RULES[rule.rule](rule, usage)
    text = billed.rule if usage.share == 1 else f"{billed.rule}; lane share {usage.share:g}"
    node_hours = None if billed.node_hours is None else round(billed.node_hours, 6)
    return Billed(round(billed.billed_gpu_hours, 6), text, node_hours)
