"""How a trial's processes are started: one per rank, one per node, or one in all.

A function objective runs as one process per rank (``resources.tasks_per_node`` per node,
else one per GPU). A command objective says how its script is started (``objective.launch``):

- ``once``: one process for the whole trial, on one node (a script that starts no ranks);
- ``per_rank``: one process per rank, each with ``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``,
  ``LOCAL_WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT`` set (a script written for
  ``torchrun``'s environment, without torchrun);
- ``per_node``: one process per node, for a launcher that starts the node's ranks itself
  (``torchrun``): the command's ``{nnodes}``, ``{nproc_per_node}``, ``{node_rank}`` and
  ``{rdzv_endpoint}`` come from the allocation.
"""

from __future__ import annotations

from typing import Literal

Launch = Literal["once", "per_rank", "per_node"]
LAUNCHES: tuple[Launch, ...] = ("once", "per_rank", "per_node")
LAUNCHER_PLACEHOLDERS = ("nnodes", "nproc_per_node", "node_rank", "rdzv_endpoint")


def ranks_per_node(gpus: int, tasks_per_node: int | None) -> int:
    """Ranks on each node of a trial: as asked, else one per GPU (at least one)."""
    return tasks_per_node if tasks_per_node is not None else max(gpus, 1)


def tasks_per_node(is_function: bool, launch: Launch, gpus: int, requested: int | None) -> int:
    """The job's tasks on each node: one per rank, except for a command started once per
    node (or once in all)."""
    if is_function or launch == "per_rank":
        return ranks_per_node(gpus, requested)
    return 1


def launch_problem(launch: Launch, nodes: int, ranks: int) -> str | None:
    """Why a command with ``launch`` cannot run a trial of ``nodes`` x ``ranks`` per node."""
    if launch == "once" and nodes * ranks > 1:
        return (
            f"a command started once cannot run {nodes} node(s) x {ranks} rank(s): set "
            "objective.launch: per_rank (one process per rank, torch's environment set) or "
            "per_node (a launcher such as torchrun with {nnodes}, {nproc_per_node}, "
            "{node_rank}, {rdzv_endpoint}), or resources.tasks_per_node: 1 on one node"
        )
    return None
