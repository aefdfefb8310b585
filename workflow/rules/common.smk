# Load the sweep once per Snakemake run; every rule below reads SPEC.

import shlex
import sys
from pathlib import Path

from sweeps.cli.common import read_sites
from sweeps.cli.profiles import resolve_site
from sweeps.dispatch.limits import trials_in_flight
from sweeps.dispatch.slurm import check_slurm
from sweeps.spec import load_spec

# A profile's relative `site` path is found beside its config file; `site_overrides` (a path)
# is merged over it, e.g. to tweak a shared profile for one run.
SITE = resolve_site(config.get("site"), workflow.overwrite_configfiles) or None
SITES = [s for s in (SITE, config.get("site_overrides")) if s]
SPEC = load_spec(config["sweep"], overrides=read_sites([Path(s) for s in SITES]))
check_slurm(SPEC)  # e.g. a missing account: an error before anything is submitted
RESULTS = f"results/{SPEC.study}"
SWEEPS = f"{shlex.quote(sys.executable)} -m sweeps"
SPEC_ARGS = f"--spec {shlex.quote(config['sweep'])}" + "".join(
    f" --site {shlex.quote(s)}" for s in SITES
)
FORCE_FLAG = bool(config.get("force"))
FORCE = "--force" if FORCE_FLAG else ""
CONTROLLERS = config.get("controllers", "processes")

if CONTROLLERS == "threads":
    from sweeps.trial.interrupt import relay_sigint
    from sweeps.study.study_job import run_study_job
    from sweeps.trial.slot_job import run_slot_job

    relay_sigint()  # Ctrl-C also stops the controller threads (they cancel their jobs)

# Trials in flight are bounded by the sweep's parallelism (and the site's Slurm job limits)
# unless --resources sweep_trials=N.
if "sweep_trials" not in workflow.global_resources:
    workflow.register_resource("sweep_trials", trials_in_flight(SPEC))


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
