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
