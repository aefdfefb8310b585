"""Binding a trial's process (a rank, or a warm lane) to its own GPUs and the cores nearest them.

A node's GPUs are split evenly among the ranks on it, in local-rank order. CPU cores: where
the site describes which cores sit nearest each GPU (``dispatch.slurm.gpu_cpus``, LUMI's
per-GCD masks), the cores of the process's GPUs; else its even share of the cores Slurm gave
the job on the node. The cores are applied with ``sched_setaffinity`` where this machine has
them (a test cluster declares more cores than it has: then they are recorded, not applied).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from sweeps.job.allocation import NodeShare, format_ranges, node_share, parse_ranges
from sweeps.job.devices import bind_env
from sweeps.job.distributed import Rank
from sweeps.spec import SweepSpec
from sweeps.spec.facts import BOUND_CPUS, BOUND_GPUS, BOUND_NODE, CPUS_APPLIED

T = TypeVar("T")


@dataclass(frozen=True)
class Binding:
    """The GPUs (ids as visible to the job) and CPU cores one process is bound to."""

    node: str
    gpus: tuple[str, ...]
    cpus: tuple[int, ...]

    def facts(self, applied: bool) -> dict[str, object]:
        """What a trial records of it."""
        return {
            BOUND_NODE.key: self.node,
            BOUND_GPUS.key: ",".join(self.gpus),
            BOUND_CPUS.key: format_ranges(self.cpus),
            CPUS_APPLIED.key: applied,
        }


def share_of(items: tuple[T, ...], index: int, parts: int) -> tuple[T, ...]:
    """Part ``index`` of ``parts`` even parts of ``items`` (all of them for one part; one item
    each, round robin, when there are fewer items than parts)."""
    if parts <= 1 or not items:
        return tuple(items)
    if len(items) < parts:
        return (items[index % len(items)],)
    size = len(items) // parts
    return tuple(items[index * size : (index + 1) * size])


def gpu_cores(gpus: tuple[str, ...], table: Mapping[int, str]) -> tuple[int, ...]:
    """The cores the site lists nearest ``gpus`` (empty when it lists none for them)."""
    cores: list[int] = []
    for gpu in gpus:
        if gpu.isdigit() and int(gpu) in table:
            cores.extend(parse_ranges(table[int(gpu)]))
    return tuple(sorted(set(cores)))


def binding_for(
    share: NodeShare, index: int, parts: int, gpu_cpus: Mapping[int, str] | None = None
) -> Binding:
    """Process ``index`` of ``parts`` on a node with ``share``."""
    gpus = share_of(share.gpus, index, parts)
    cpus = gpu_cores(gpus, gpu_cpus or {}) or share_of(share.cpus, index, parts)
    return Binding(share.node, gpus, cpus)


def apply_binding(binding: Binding, env: dict[str, str] | os._Environ[str]) -> bool:
    """Narrow this process (and its children) to ``binding``; whether the cores were applied
    (all of them exist here)."""
    if binding.gpus:
        env.update(bind_env(list(binding.gpus), env))
    wanted = set(binding.cpus)
    if not wanted or not wanted <= os.sched_getaffinity(0):
        return False
    os.sched_setaffinity(0, wanted)
    return True


def bind_rank(spec: SweepSpec, rank: Rank) -> dict[str, object]:
    """Bind this rank of a trial to its share of its node; the facts to record of it."""
    binding = binding_for(
        node_share(), rank.local_rank, rank.local_world_size, spec.dispatch.slurm.gpu_cpus
    )
    return binding.facts(apply_binding(binding, os.environ))
