"""What the job was given on this node: its GPUs and CPU cores, as Slurm allocated them.

Slurm sets ``CUDA_VISIBLE_DEVICES``/``ROCR_VISIBLE_DEVICES`` only where its GPU plugin knows
the devices; where it does not (GRES without device files it can map, such as the fake GPUs of
a test cluster), the allocation is still in ``scontrol show job -d``: one line per node set,
``Nodes=nid[001-002] CPU_IDs=42-55 Mem=3072 GRES=gpu:3(IDX:0-2)``. Outside Slurm the machine's
own devices are the allocation.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

from sweeps.job.devices import visibility_var

_NODES_LINE = re.compile(r"^\s*Nodes=(?P<hosts>\S+)\s+CPU_IDs=(?P<cpus>\S+)(?P<rest>.*)$", re.M)
_GPU_IDX = re.compile(r"GRES=\S*?gpu\S*?\(IDX:(?P<idx>[0-9,\-]+)\)")


@dataclass(frozen=True)
class NodeShare:
    """One node's part of a job: Slurm's CPU ids and the GPU indices on it."""

    node: str
    cpus: tuple[int, ...]
    gpus: tuple[str, ...]


def parse_ranges(text: str) -> tuple[int, ...]:
    """``0-2,5`` as ``(0, 1, 2, 5)``."""
    ids: list[int] = []
    for part in text.split(","):
        if not part:
            continue
        low, _, high = part.partition("-")
        ids.extend(range(int(low), int(high or low) + 1))
    return tuple(ids)


def format_ranges(ids: tuple[int, ...] | list[int]) -> str:
    """``(0, 1, 2, 5)`` as ``0-2,5``."""
    runs: list[list[int]] = []
    for i in sorted(set(ids)):
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def expand_hostlist(hostlist: str) -> list[str]:
    """Node names of a Slurm host list (``nid[001-002]``), by ``scontrol show hostnames``."""
    if "[" not in hostlist:
        return [h for h in hostlist.split(",") if h]
    done = subprocess.run(
        ["scontrol", "show", "hostnames", hostlist], capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def job_shares(job_id: str) -> dict[str, NodeShare]:
    """Every node's share of Slurm job ``job_id`` (empty when Slurm does not say)."""
    try:
        done = subprocess.run(
            ["scontrol", "show", "job", "-d", job_id],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    return parse_job_shares(done.stdout)


def parse_job_shares(text: str) -> dict[str, NodeShare]:
    """The node shares in ``scontrol show job -d`` output."""
    shares: dict[str, NodeShare] = {}
    for match in _NODES_LINE.finditer(text):
        gpu = _GPU_IDX.search(match["rest"])
        gpus = tuple(str(i) for i in parse_ranges(gpu["idx"])) if gpu else ()
        cpus = parse_ranges(match["cpus"])
        for node in expand_hostlist(match["hosts"]):
            shares[node] = NodeShare(node, cpus, gpus)
    return shares


def node_share(env: Mapping[str, str] | None = None) -> NodeShare:
    """This node's share of the job this process runs in.

    GPUs: the visibility variable when one is set (Slurm's, or a warm lane's), else the job's
    GPU indices on this node from ``scontrol``; CPUs: the cores this process may run on."""
    env = os.environ if env is None else env
    node = env.get("SLURMD_NODENAME") or os.uname().nodename
    cpus = tuple(sorted(os.sched_getaffinity(0)))
    job_id = env.get("SLURM_JOB_ID")
    slurm = job_shares(job_id).get(node) if job_id else None
    var = env.get(visibility_var(env), "")
    if var:
        gpus = tuple(p.strip() for p in var.split(",") if p.strip())
    else:
        gpus = slurm.gpus if slurm is not None else ()
    return NodeShare(node, slurm.cpus if slurm is not None else cpus, gpus)
