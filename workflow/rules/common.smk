# Load the sweep once per Snakemake run; every rule below reads SPEC.

import shlex
import sys
from pathlib import Path

from sweeps.cli.common import read_site
from sweeps.cli.profiles import resolve_site
from sweeps.dispatch.limits import trials_in_flight
from sweeps.dispatch.slurm import check_slurm
from sweeps.spec import load_spec

# A profile's relative `site` path is found beside its config file.
SITE = resolve_site(config.get("site"), workflow.overwrite_configfiles) or None
SPEC = load_spec(config["sweep"], overrides=read_site(Path(SITE)) if SITE else None)
check_slurm(SPEC)  # e.g. a missing account: an error before anything is submitted
RESULTS = f"results/{SPEC.study}"
SWEEPS = f"{shlex.quote(sys.executable)} -m sweeps"
SPEC_ARGS = f"--spec {shlex.quote(config['sweep'])}" + (
    f" --site {shlex.quote(SITE)}" if SITE else ""
)
FORCE = "--force" if config.get("force") else ""

# Trials in flight are bounded by the sweep's parallelism (and the site's Slurm job limits)
# unless --resources sweep_trials=N.
if "sweep_trials" not in workflow.global_resources:
    workflow.register_resource("sweep_trials", trials_in_flight(SPEC))


def trial_receipts(slots):
    return [f"{RESULTS}/trials/{slot}.json" for slot in slots]
