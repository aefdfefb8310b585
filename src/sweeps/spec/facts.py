"""Every fact sweeps records on a trial, declared once: its attribute key, its column, its unit
and what it means.

A trial's job records its facts as trial user attributes. The trial's own facts have a bare
key (``runtime_s``); the others are grouped, ``<group>.<name>``: :data:`SLURM` (the Slurm job
that ran the trial, from accounting), :data:`COST` (what the site bills for it),
:data:`ENERGY` (what it used), :data:`DATA` (the data set staged on its node) and
:data:`RESULT` (what a command's result gave besides the sweep's metrics). Writers
name a fact by its declaration (``ENERGY_WH.key``, or ``ENERGY_WH.name`` inside its group's
dict); readers (the report and ``trials.csv``,
``sweeps status``, the dashboard note, the budgets) read it with :meth:`Fact.read`, which also
finds it under the key an older study recorded it by (:attr:`Fact.old_keys`). Each fact is
one column of ``trials.csv``, named :attr:`Fact.column`.

Two different quantities never share a name. Three of them are GPU-hours:

- :data:`ALLOCATED_GPU_HOURS` (``slurm.allocated_gpu_hours``): the GPUs the Slurm job held x
  its elapsed time, as Slurm counts GPUs (on LUMI: GCD-hours). Recorded as ``slurm.gpu_hours``
  before; still read under that key.
- :data:`BILLED_GPU_HOURS` (``cost.billed_gpu_hours``): what the site bills, by its billing
  rule. The budget ``budget.max_billed_gpu_hours`` limits it (``max_gpu_hours``, its old name,
  is still accepted and means the same billed figure).
- :data:`TRIAL_GPU_HOURS`, a cost metric (``metrics: [..., trial_gpu_hours]``): the GPUs the
  trial held (its share, when packed) x its own run time. Named ``gpu_hours`` before; a sweep
  file's ``gpu_hours`` still means it.

The states a Slurm job can be in (the values of :data:`SLURM_STATE`) are declared in their own
table, :mod:`sweeps.run.executors.slurm.outcomes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TRIAL = ""
"""The trial's own facts, recorded by its process: bare keys."""
SLURM = "slurm"
"""The Slurm job that ran the trial (for a warm lane: its worker's job), from accounting."""
COST = "cost"
"""What the site bills for the trial, by its partition's rule in the site file."""
ENERGY = "energy"
"""The energy the trial used, from the node's counters (or Slurm's accounting)."""
DATA = "data"
"""The data set the trial read from its node (the sweep's ``data.stage``, sweeps.spec.data)."""
RESULT = "result"
"""What a command objective's result gave besides the sweep's metrics (the other keys of its
JSON result, the other groups of ``metrics_from.final``), each under its own name."""
GROUPS = (TRIAL, SLURM, COST, ENERGY, DATA, RESULT)
SEPARATOR = "."


def fact_key(group: str, name: str) -> str:
    """The attribute key of fact ``name`` of ``group`` (a bare name for the trial's own)."""
    return f"{group}{SEPARATOR}{name}" if group else name


@dataclass(frozen=True)
class Fact:
    """One recorded fact of a trial."""

    group: str  # one of GROUPS
    name: str  # its name inside its group (the key of its group's dict of facts)
    column: str  # its column in trials.csv and the report
    unit: str  # "" for text, counts and names
    label: str  # how a line for a reader names it
    description: str
    old_names: tuple[str, ...] = ()  # names in its group an older study recorded it under
    in_report: bool = False  # shown in report.html's table of all trials (trials.csv: always)

    @property
    def key(self) -> str:
        """Its trial user attribute."""
        return fact_key(self.group, self.name)

    @property
    def old_keys(self) -> tuple[str, ...]:
        """The keys older studies recorded it under: read, never written."""
        return tuple(fact_key(self.group, name) for name in self.old_names)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key it may be found under, its own first."""
        return (self.key, *self.old_keys)

    def recorded(self, attrs: Mapping[str, Any]) -> bool:
        """Whether ``attrs`` (a trial's user attributes) hold it."""
        return any(key in attrs for key in self.keys)

    def read(self, attrs: Mapping[str, Any]) -> Any:
        """Its value in ``attrs`` (under its key, else an old key); None when not recorded."""
        for key in self.keys:
            if key in attrs:
                return attrs[key]
        return None


# The trial's own facts.
RUNTIME_S = Fact(
    TRIAL,
    "runtime_s",
    "run_time_s",
    "s",
    "trial run time",
    "how long the trial ran in its own process (the objective, with its set-up)",
    in_report=True,
)
HOSTNAME = Fact(TRIAL, "hostname", "hostname", "", "host", "the host the trial's process ran on")
BOUND_NODE = Fact(
    TRIAL, "bound_node", "bound_node", "", "node", "the node rank 0 (or the lane) ran on"
)
BOUND_GPUS = Fact(
    TRIAL,
    "bound_gpus",
    "bound_gpus",
    "",
    "GPUs",
    "the GPUs rank 0 (or the lane) was bound to, as the node numbers them",
    in_report=True,
)
BOUND_CPUS = Fact(
    TRIAL,
    "bound_cpus",
    "bound_cpus",
    "",
    "CPU cores",
    "the CPU cores rank 0 (or the lane) was bound to (the site's cores nearest its GPUs, else "
    "its share of the job's)",
)
CPUS_APPLIED = Fact(
    TRIAL,
    "cpus_applied",
    "cpus_applied",
    "",
    "cores applied",
    "whether the process's CPU affinity was set to bound_cpus (false: the node has no such cores)",
)
WORLD_SIZE = Fact(TRIAL, "world_size", "world_size", "", "ranks", "the trial's ranks, all nodes")
RANKS = Fact(
    TRIAL,
    "ranks",
    "ranks",
    "",
    "rank placement",
    "each rank of a multi-rank trial: its rank, local rank, node, GPUs and CPU cores",
)
NODES = Fact(
    TRIAL, "trial_nodes", "trial_nodes", "", "nodes", "the nodes a multi-rank trial's ranks ran on"
)

# The Slurm job that ran the trial.
SLURM_JOB_ID = Fact(
    SLURM,
    "job_id",
    "slurm_job_id",
    "",
    "Slurm job",
    "the Slurm job that ran the trial (an array task as A_i; a warm lane: its worker's job)",
)
PARTITION = Fact(SLURM, "partition", "partition", "", "partition", "the job's Slurm partition")
NODE = Fact(
    SLURM,
    "node",
    "node",
    "",
    "node",
    "the node(s) the job ran on (the report's column falls back to the host)",
    in_report=True,
)
ALLOCATED_GPUS = Fact(
    SLURM,
    "gpus",
    "allocated_gpus",
    "GPUs",
    "allocated GPUs",
    "the GPUs the job held, as Slurm counts GPUs (on LUMI: GCDs); a warm lane: its share",
)
SLURM_STATE = Fact(
    SLURM,
    "state",
    "slurm_state",
    "",
    "Slurm state",
    "the job's state when the trial ended (a state of sweeps.run.executors.slurm.outcomes)",
)
REQUEUES = Fact(
    SLURM, "requeues", "requeues", "", "requeues", "how often Slurm requeued the job before"
)
ARRAY_INDEX = Fact(
    SLURM,
    "array_index",
    "array_index",
    "",
    "array index",
    "the job's index in its job array (a job on its own: not recorded)",
)
QUEUE_WAIT_S = Fact(
    SLURM,
    "queue_wait_s",
    "queue_wait_s",
    "s",
    "queue wait",
    "the job's wait from submit to start (a warm lane: the trial's, from published to claimed)",
    in_report=True,
)
JOB_ELAPSED_S = Fact(
    SLURM,
    "elapsed_s",
    "allocated_s",
    "s",
    "allocated time",
    "the job's elapsed time (sacct ElapsedRaw, its last run): how long it held what it was "
    "allocated; a warm lane records its trial's run time",
    old_names=("run_time_s",),
    in_report=True,
)
ALLOCATED_GPU_HOURS = Fact(
    SLURM,
    "allocated_gpu_hours",
    "allocated_gpu_hours",
    "GPU-hours",
    "allocated GPU-hours (Slurm)",
    "the job's allocated GPUs x its elapsed hours, as Slurm counts GPUs (on LUMI: GCD-hours); "
    "not what the site bills",
    old_names=("gpu_hours",),
    in_report=True,
)
CONSUMED_ENERGY_WH = Fact(
    SLURM,
    "consumed_energy_wh",
    "consumed_energy_wh",
    "Wh",
    "energy in Slurm's accounting",
    "the whole job's ConsumedEnergyRaw in watt-hours, where the site's accounting gathers "
    "energy; it stands in as the trial's energy where the job measured none",
    old_names=("energy_wh",),
)

# What the site bills for the trial.
BILLED_GPU_HOURS = Fact(
    COST,
    "billed_gpu_hours",
    "billed_gpu_hours",
    "GPU-hours",
    "billed GPU-hours",
    "what the site bills for the trial, in its GPU-hours, by the partition's rule in the site "
    "file (a warm lane: its share of its worker's job for its run time)",
    in_report=True,
)
BILLED_NODE_HOURS = Fact(
    COST,
    "billed_node_hours",
    "billed_node_hours",
    "node-hours",
    "billed node-hours",
    "where the partition bills whole nodes (rule whole_node): the node-hours billed for the "
    "trial, its share of its job's nodes for its run time",
    in_report=True,
)
JOB_SHARE = Fact(
    COST,
    "job_share",
    "job_share",
    "",
    "share of the job",
    "the part of its Slurm job charged to the trial: 1 for a job of its own, a warm lane's GPUs "
    "over its worker's (1/8 for one GCD of a whole LUMI node)",
)
BILLING_RULE = Fact(
    COST,
    "billing_rule",
    "billing_rule",
    "",
    "billing rule",
    "the rule, and where its figures came from, that gave the billed GPU-hours",
)

# The energy the trial used.
ENERGY_WH = Fact(
    ENERGY,
    "wh",
    "energy_wh",
    "Wh",
    "energy",
    "the energy the trial used in watt-hours (its share, when packed), from the node's best "
    "counter, or from Slurm's accounting where the job measured none",
    in_report=True,
)
ENERGY_SOURCE = Fact(
    ENERGY,
    "source",
    "energy_source",
    "",
    "energy source",
    "where the energy was read: nvml, amdsmi, pm_counters, rapl or slurm ConsumedEnergyRaw",
    in_report=True,
)
ENERGY_DEVICE_WH = Fact(
    ENERGY,
    "device_wh",
    "energy_device_wh",
    "Wh",
    "shared device's energy",
    "packed trials only: what the device they shared used over this trial's run",
)
ENERGY_NOT_MEASURED = Fact(
    ENERGY,
    "not_measured",
    "energy_not_measured",
    "",
    "energy not measured",
    "why no energy was recorded: each source tried, and why it could not be read",
    in_report=True,
)

# The data set staged on the trial's node.
DATA_PATH = Fact(
    DATA,
    "path",
    "data_path",
    "",
    "staged data",
    "where the trial read the data set ($SWEEPS_DATA, {data}): its copy on the node, or the "
    "mounted image",
)
DATA_STAGED_S = Fact(
    DATA,
    "staged_s",
    "data_staged_s",
    "s",
    "data staging time",
    "the seconds this trial spent copying (or mounting) the data set; 0 when an earlier trial "
    "on its node had",
)
DATA_BYTES = Fact(DATA, "bytes", "data_bytes", "B", "data size", "the data set's size in bytes")
DATA_REUSED = Fact(
    DATA,
    "reused",
    "data_reused",
    "",
    "data reused",
    "whether the trial found the data set already staged on its node by an earlier trial",
)
DATA_METHOD = Fact(
    DATA,
    "method",
    "data_method",
    "",
    "staging method",
    "how the data set reached the node: copied, mounted with squashfuse, or its SquashFS image "
    "copied (squashfuse not on PATH, or it failed)",
)

FACTS: tuple[Fact, ...] = (
    RUNTIME_S,
    HOSTNAME,
    BOUND_NODE,
    BOUND_GPUS,
    BOUND_CPUS,
    CPUS_APPLIED,
    WORLD_SIZE,
    RANKS,
    NODES,
    SLURM_JOB_ID,
    PARTITION,
    NODE,
    ALLOCATED_GPUS,
    SLURM_STATE,
    REQUEUES,
    ARRAY_INDEX,
    QUEUE_WAIT_S,
    JOB_ELAPSED_S,
    ALLOCATED_GPU_HOURS,
    CONSUMED_ENERGY_WH,
    BILLED_GPU_HOURS,
    BILLED_NODE_HOURS,
    JOB_SHARE,
    BILLING_RULE,
    ENERGY_WH,
    ENERGY_SOURCE,
    ENERGY_DEVICE_WH,
    ENERGY_NOT_MEASURED,
    DATA_PATH,
    DATA_STAGED_S,
    DATA_BYTES,
    DATA_REUSED,
    DATA_METHOD,
)
"""Every recorded fact, in the order of trials.csv's columns."""

FACT_KEYS: frozenset[str] = frozenset(key for fact in FACTS for key in fact.keys)
"""Every key a study may hold a declared fact under (old keys included)."""


@dataclass(frozen=True)
class CostMetric:
    """A value a sweep's ``metrics`` may name that the trial job fills in from its cost (the
    objective does not return it)."""

    name: str
    unit: str
    description: str
    old_names: tuple[str, ...] = ()  # what a sweep file may still call it
    fact: Fact | None = None  # the recorded fact it is, when it is one (named as its column)


ENERGY_METRIC = CostMetric(
    ENERGY_WH.column,
    ENERGY_WH.unit,
    "the energy the trial used (watt-hours): its energy_wh, from the node's energy counters",
    fact=ENERGY_WH,
)
TRIAL_GPU_HOURS = CostMetric(
    "trial_gpu_hours",
    "GPU-hours",
    "the GPU-hours the trial held: its GPUs (its share, when packed) x its own run time; "
    "neither Slurm's allocated GPU-hours nor the billed figure",
    old_names=("gpu_hours",),
)
METRICS: tuple[CostMetric, ...] = (ENERGY_METRIC, TRIAL_GPU_HOURS)
"""Every cost metric."""


def metric_name(name: str) -> str:
    """The cost metric ``name`` means, by its name (an old name gives today's); any other
    metric's name as it is."""
    for metric in METRICS:
        if name in metric.old_names:
            return metric.name
    return name
