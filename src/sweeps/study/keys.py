"""Every attribute key sweeps writes, in one place.

:class:`Key` names the system attributes of trials (``sweeps:*``, hidden from users) and the
user attributes of the study that record how it was created and why a run stopped.
:class:`Attr` names the other trial user attributes that sweeps writes and also reads back; the
dashboard shows them all. The recorded facts of a trial (cost, energy, the Slurm job, timings)
are declared in :mod:`sweeps.spec.facts`, each with its key, column and unit; a group of facts
is flattened as ``<group>.<fact>`` (``slurm.queue_wait_s``).
"""

from __future__ import annotations

from enum import StrEnum

from sweeps.spec.facts import fact_key
from sweeps.storage.retry import TOKEN


class Key(StrEnum):
    """System attributes of trials, and the study's own records."""

    # A trial's place in the sweep.
    SLOT = "sweeps:slot"
    ATTEMPT = "sweeps:attempt"
    RETRYABLE = "sweeps:retryable"
    NEVER_STARTED = "sweeps:never_started"  # failed while WAITING: the attempt did not happen
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
    UNCOUNTED = "sweeps:uncounted"  # the failures such runs stopped on: their slots run again
    BUDGET_SPENT = "sweeps:budget_spent"  # the budget that ended the sweep, and when
    SPENT_TOTALS = "sweeps:spent_totals"  # running totals of what the told trials recorded
    FIRST_START = "sweeps:first_start"  # when the study's first trial started (a deadline's)
    TRIAL_BUDGET = "sweeps:trial_budget"  # the trials its runs were given (a shortened budget)
    WORKER_ALLOCATION = "sweeps:worker_allocation"  # + ":<worker id>": a warm worker's billing


class Attr(StrEnum):
    """Trial user attributes that sweeps reads back, besides the facts of
    :mod:`sweeps.spec.facts`."""

    EXECUTOR = "executor"
    DISPATCH = "dispatch"
    JOB_ID = "job_id"
    SEED = "seed"
    FAIL_REASON = "fail_reason"
    REASON = "reason"
    TRACEBACK = "traceback"
    WORKER = "worker"  # the warm worker that ran the trial
    LANE = "lane"  # and its lane


def flatten_facts(facts: dict[str, object]) -> dict[str, object]:
    """Facts as user attributes: a group of facts (a dict) becomes ``group.fact`` keys."""
    flat: dict[str, object] = {}
    for key, value in facts.items():
        if isinstance(value, dict):
            flat.update({fact_key(key, k): v for k, v in value.items()})
        else:
            flat[key] = value
    return flat
