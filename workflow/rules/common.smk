# Load the sweep once per Snakemake run; every rule below reads SPEC.

import shlex
import sys
from pathlib import Path

from sweeps.controller.budget import forget_not_run, not_run_slots, note_run_budget
from sweeps.controller.fanin import dry_run
from sweeps.controller.fanin import start_for_sweep as start_storage_proxy
from sweeps.controller.interrupt import stop_sweep_on_termination
from sweeps.controller.snakemake_internals import (
    exit_once_done,
    verbose_shows_everything,
)
from sweeps.run.strategies import check_dispatch
from sweeps.run.executors import backend_for
from sweeps.spec import load_spec
from sweeps.spec.paths import SweepPaths
from sweeps.spec.shortening import hand_on
from sweeps.spec.sites import load_with_sites, resolve_site
from sweeps.storage.proxy import ProxyError
from sweeps.storage.reach import StorageUnreachable, check_reachable

verbose_shows_everything(workflow)  # the profiles' `quiet:` yields to --verbose
exit_once_done()  # not a second more after the last job

# A profile's relative `site` path is found beside its config file: its resources are defaults
# under the sweep's, the rest is merged over the sweep; `site_overrides` (a path) is merged
# over everything, e.g. to tweak a shared profile for one run.
SITE = resolve_site(config.get("site"), workflow.overwrite_configfiles) or None
OVERRIDES = [Path(s) for s in (config.get("site_overrides"),) if s]
# `--config n_trials=N`: this run's budget, shortened from the sweep file's (refused unless
# 1..budget.n_trials); the study records it, and the report and `sweeps compare` say so. The
# jobs' commands find N in their environment, so a changed N changes no command.
N_TRIALS = config.get("n_trials")
SPEC = load_with_sites(
    config["sweep"], [Path(SITE)] if SITE else [], OVERRIDES, n_trials=N_TRIALS
)
hand_on(None if N_TRIALS is None else SPEC.budget.n_trials)
# e.g. an unknown executor or a missing account: an error before anything is submitted
OBJECTIVE_NOTE = check_dispatch(SPEC, config["sweep"])
if OBJECTIVE_NOTE:
    print(f"note: {OBJECTIVE_NOTE}", file=sys.stderr)
# A storage that does not answer now is reported in one line; once it did, this run's jobs
# (which inherit that fact) wait for it while it is down.
try:
    check_reachable(SPEC.storage_url, sweep_file=config["sweep"])
except StorageUnreachable as err:
    print(f"error: {err}", file=sys.stderr)
    sys.exit(1)
BACKEND = backend_for(SPEC)
# Many processes on a database server: one proxy holds the connections (storage_proxy); the
# processes started later inherit it. (A module's `onstart:` never runs, so it starts here.)
if workflow.is_main_process and not dry_run(sys.argv):
    stop_sweep_on_termination()  # SIGTERM, SIGHUP: as Ctrl-C (not "finish running jobs")
    try:
        PROXY = start_storage_proxy(SPEC, BACKEND)
    except ProxyError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
    if PROXY is not None:
        print(f"note: {PROXY.describe()}", file=sys.stderr)
PATHS = SweepPaths.of(SPEC)
# Slots a spent budget ended are looked at again: their trials start if budget is left now
# (a dry run only reports, and writes nothing).
if not dry_run(sys.argv):
    forget_not_run(SPEC)
    if workflow.is_main_process:  # a study made already records this run's trials
        note_run_budget(SPEC)
elif not_run_slots(SPEC):
    print(
        f"note: {len(not_run_slots(SPEC))} slots a spent budget ended are looked at again "
        "by a real run",
        file=sys.stderr,
    )
RESULTS = str(PATHS.root)
SWEEPS = f"{shlex.quote(sys.executable)} -m sweeps"
SPEC_ARGS = (
    f"--spec {shlex.quote(config['sweep'])}"
    + "".join(f" --site {shlex.quote(s)}" for s in ([SITE] if SITE else []))
    + "".join(f" --site-override {shlex.quote(str(s))}" for s in OVERRIDES)
)
FORCE_FLAG = bool(config.get("force"))
FORCE = "--force" if FORCE_FLAG else ""
CONTROLLERS = config.get("controllers", "processes")

if CONTROLLERS == "threads":
    from sweeps.controller.interrupt import relay_sigint
    from sweeps.controller.lanes import run_lane_job
    from sweeps.controller.progress import report_slot
    from sweeps.controller.slot import run_slot
    from sweeps.controller.study_job import run_study_job

    relay_sigint()  # Ctrl-C also stops the controller threads (they cancel their jobs)

# Trials in flight are bounded by the sweep's parallelism (and the site's Slurm job limits)
# unless --resources sweep_trials=N.
if "sweep_trials" not in workflow.global_resources:
    workflow.register_resource("sweep_trials", BACKEND.trials_in_flight(SPEC))


def trial_receipts(slots):
    return [str(PATHS.trial_receipt(slot)) for slot in slots]


# Reproducible sweeps: batch b of `parallelism` slots is asked after batch b-1 is told.
def batch_of_slot(slot):
    return int(slot) // SPEC.parallelism


def batch_receipt(batch):
    return str(PATHS.batch_receipt(batch))


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
