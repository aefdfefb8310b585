"""Every attribute key sweeps writes, in one place.

:class:`Key` names the system attributes of trials (``sweeps:*``, hidden from users) and the
user attributes of the study that record how it was created and why a run stopped.
:class:`Attr` names the trial user attributes that sweeps writes and also reads back; the
dashboard shows them all. Facts of a trial's job are flattened as ``<group>.<fact>``
(``slurm.gpu_hours``).
"""

from __future__ import annotations

from enum import StrEnum

from sweeps.storage.retry import TOKEN


class Key(StrEnum):
    """System attributes of trials, and the study's own records."""

    # A trial's place in the sweep.
    SLOT = "sweeps:slot"
    ATTEMPT = "sweeps:attempt"
    RETRYABLE = "sweeps:retryable"
    BATCH = "sweeps:batch"
    CLAIMED_AT = "sweeps:claimed_at"
    TOKEN = TOKEN  # set by the storage layer, so a retried create finds its trial
    # Who is working on it.
    JOB_ID = "sweeps:job_id"
    CONTROLLER = "sweeps:controller"
    CONTROLLER_HEARTBEAT = "sweeps:heartbeat"
    LANE_HEARTBEAT = "sweeps:lane_heartbeat"
    WARM_TASK = "sweeps:warm_task"
    WARM_OUTCOME = "sweeps:warm_outcome"
    WORKER = "sweeps:worker"
    # The study (user attributes of the study).
    FINGERPRINT = "sweeps:fingerprint"
    PINNED = "sweeps:pinned"
    SPEC = "sweeps:spec"
    VERSIONS = "sweeps:versions"
    CODE_VERSION = "sweeps:git_commit"
    STOPPED = "sweeps:stopped"  # the run that stopped on a streak of same-cause failures
    BUDGET_SPENT = "sweeps:budget_spent"  # the budget that ended the sweep, and when
    WORKER_ALLOCATION = "sweeps:worker_allocation"  # + ":<worker id>": a warm worker's billing


class Attr(StrEnum):
    """Trial user attributes that sweeps reads back."""

    EXECUTOR = "executor"
    DISPATCH = "dispatch"
    JOB_ID = "job_id"
    SEED = "seed"
    FAIL_REASON = "fail_reason"
    REASON = "reason"
    TRACEBACK = "traceback"
    RUNTIME_S = "runtime_s"
    HOSTNAME = "hostname"
    NODE = "slurm.node"
    QUEUE_WAIT_S = "slurm.queue_wait_s"
    JOB_ELAPSED_S = "slurm.run_time_s"  # the Slurm job's elapsed time: what was allocated
    GPU_HOURS = "slurm.gpu_hours"  # allocated GPUs x elapsed time, as Slurm counts GPUs
    # What the trial cost, by the site's billing rule and the node's energy counters.
    BILLED_GPU_HOURS = "cost.billed_gpu_hours"
    BILLING_RULE = "cost.billing_rule"
    ENERGY_WH = "energy.wh"
    ENERGY_SOURCE = "energy.source"
    ENERGY_DEVICE_WH = "energy.device_wh"  # packed trials: the shared device's whole figure
    ENERGY_NOT_MEASURED = "energy.not_measured"  # the reason, when no counter could be read


def flatten_facts(facts: dict[str, object]) -> dict[str, object]:
    """Facts as user attributes: a group of facts (a dict) becomes ``group.fact`` keys."""
    flat: dict[str, object] = {}
    for key, value in facts.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat
