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
FORCE = "--force" if config.get("force") else ""

# Trials in flight are bounded by the sweep's parallelism (and the site's Slurm job limits)
# unless --resources sweep_trials=N.
if "sweep_trials" not in workflow.global_resources:
    workflow.register_resource("sweep_trials", trials_in_flight(SPEC))


def trial_receipts(slots):
    return [f"{RESULTS}/trials/{slot}.json" for slot in slots]
