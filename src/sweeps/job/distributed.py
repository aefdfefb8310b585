"""Multi-GPU trials: one trial as torch distributed ranks, launched as submitit tasks.

Each task of the trial's job runs the objective as one rank. The rendezvous comes from
submitit's ``TorchDistributedEnvironment`` (``MASTER_ADDR`` the job's first host,
``MASTER_PORT`` derived from the job id, so jobs sharing a node do not collide unless
``MASTER_PORT`` is set); a site's network interfaces for NCCL/RCCL come from its profile
(``NCCL_SOCKET_IFNAME`` in the job's ``setup``). Rank 0 reports to the study; the others
compute with it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Rank:
    """Where this process stands in its trial."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    local_world_size: int = 1


def join_job() -> Rank:
    """Export the torch rendezvous variables when this job has several tasks; return the rank."""
    try:
        import submitit

        env = submitit.JobEnvironment()
    except RuntimeError:  # not inside a submitit job
        return Rank()
    if env.num_tasks <= 1:
        return Rank()
    from submitit.helpers import TorchDistributedEnvironment

    dist = TorchDistributedEnvironment().export(set_cuda_visible_devices=False, overwrite=True)
    os.environ["GROUP_RANK"] = str(env.node)  # with torchrun's others: Lightning finds the ranks
    return Rank(dist.rank, dist.world_size, dist.local_rank, dist.local_world_size)
