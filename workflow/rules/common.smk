# Load the sweep once per Snakemake run; every rule below reads SPEC.

import shlex
import sys
from pathlib import Path

from sweeps.cli.common import read_site
from sweeps.spec import load_spec

SITE = config.get("site") or None
SPEC = load_spec(config["sweep"], overrides=read_site(Path(SITE)) if SITE else None)
RESULTS = f"results/{SPEC.study}"
SWEEPS = f"{shlex.quote(sys.executable)} -m sweeps"
SPEC_ARGS = f"--spec {shlex.quote(config['sweep'])}" + (
    f" --site {shlex.quote(SITE)}" if SITE else ""
)
FORCE_FLAG = bool(config.get("force"))
FORCE = "--force" if FORCE_FLAG else ""
CONTROLLERS = config.get("controllers", "processes")

if CONTROLLERS == "threads":
    from sweeps.trial.interrupt import relay_sigint
    from sweeps.trial.slot_job import run_slot_job

    relay_sigint()  # Ctrl-C also stops the controller threads (they cancel their jobs)

# Trials in flight are bounded by the sweep's parallelism unless --resources sweep_trials=N.
if "sweep_trials" not in workflow.global_resources:
    workflow.register_resource("sweep_trials", SPEC.parallelism)


def trial_receipts(slots):
    return [f"{RESULTS}/trials/{slot}.json" for slot in slots]


# Reproducible sweeps: batch b of `parallelism` slots is asked after batch b-1 is told.
def batch_of_slot(slot):
    return int(slot) // SPEC.parallelism


def batch_receipt(batch):
    return f"{RESULTS}/batches/{batch}.json"


def told_before_batch(wildcards):
    batch = int(wildcards.batch)
    if batch == 0:
        return []
    first = (batch - 1) * SPEC.parallelism
    slots = range(first, min(first + SPEC.parallelism, SPEC.budget.n_trials))
    return [ancient(path) for path in trial_receipts(slots)]


def slot_batch(wildcards):
    """The batch receipt a trial slot waits for (none unless the sweep is reproducible)."""
    if not SPEC.reproducible:
        return []
    return [ancient(batch_receipt(batch_of_slot(wildcards.slot)))]
