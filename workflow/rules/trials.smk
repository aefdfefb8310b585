# Trial slots. A slot with a receipt is done; re-running a slot whose trial already ended only
# rewrites the receipt from the study, so nothing is run twice.
#
# Non-reproducible sweeps run their slots in a fixed number of lane jobs (rules lane_0 ..
# lane_<L-1>, L = trials in flight, see sweeps/controller/lanes.py): each lane's outputs
# are its slots' receipts, and it runs them one after another in one controller, so the DAG
# has L jobs whatever the budget and each slot after a lane's first costs a warm controller.
# Reproducible sweeps keep one job per slot (rule `trial`): each waits for its batch.
#
# Controllers run as processes (`sweeps lane` / `sweeps trial`, the default) or, with
# `--config controllers=threads` and `--force-use-threads`, as threads of this Snakemake
# process: 17x less submit-host memory with 32 trials in flight (benchmarks/submit_host.py).

import os

from sweeps.controller.lanes import lane_count, lane_slots
from sweeps.job.threads import thread_env

TRIAL_RECEIPT = str(PATHS.trial_receipt("{slot}"))
TRIAL_LOG = f"{PATHS.logs}/trial-{{slot}}.log"
# Trials that run on this machine take its cores; cluster jobs take none of them.
TRIAL_THREADS = SPEC.resources.cpus if BACKEND.runs_on_submit_host else 1
# Snakemake's shell sets OMP_NUM_THREADS and the like to a rule's threads; the trials that a
# controller process starts get resources.cpus (or the value exported before snakemake), as
# those of controller threads do.
THREADS_ENV = " ".join(
    f"{var}={shlex.quote(value)}"
    for var, value in thread_env(SPEC.resources.cpus, os.environ).items()
)
LANES = lane_count(
    SPEC.budget.n_trials, int(workflow.global_resources["sweep_trials"].value)
)


if SPEC.reproducible and CONTROLLERS == "threads":

    rule trial:
        input:
            ancient(STUDY_RECEIPT),
            slot_batch,
        output:
            TRIAL_RECEIPT,
        log:
            TRIAL_LOG,
        wildcard_constraints:
            slot=r"\d+",
        localrule: True
        conda:
            "../envs/sweeps.yaml"
        threads: TRIAL_THREADS
        resources:
            sweep_trials=1,
        run:
            receipt = run_slot(
                SPEC, int(wildcards.slot), Path(output[0]), FORCE_FLAG
            )
            report_slot(SPEC, receipt, Path(log[0]))

elif SPEC.reproducible:

    rule trial:
        input:
            ancient(STUDY_RECEIPT),
            slot_batch,
        output:
            TRIAL_RECEIPT,
        log:
            TRIAL_LOG,
        wildcard_constraints:
            slot=r"\d+",
        localrule: True
        conda:
            "../envs/sweeps.yaml"
        threads: TRIAL_THREADS
        resources:
            sweep_trials=1,
        shell:
            f"{THREADS_ENV} {SWEEPS} trial {SPEC_ARGS} {FORCE} --slot {{wildcards.slot}} "
            "--receipt {output} --log {log}"

elif CONTROLLERS == "threads":
    for LANE in range(LANES):

        rule:
            name:
                f"lane_{LANE}"
            input:
                ancient(STUDY_RECEIPT),
            output:
                trial_receipts(lane_slots(LANE, LANES, SPEC.budget.n_trials)),
            log:
                f"{PATHS.logs}/lane-{LANE}.log",
            localrule: True
            conda:
                "../envs/sweeps.yaml"
            threads: TRIAL_THREADS
            resources:
                sweep_trials=1,
            params:
                lane=LANE,
            run:
                run_lane_job(SPEC, params.lane, LANES, Path(log[0]), FORCE_FLAG)

else:
    for LANE in range(LANES):

        rule:
            name:
                f"lane_{LANE}"
            input:
                ancient(STUDY_RECEIPT),
            output:
                trial_receipts(lane_slots(LANE, LANES, SPEC.budget.n_trials)),
            log:
                f"{PATHS.logs}/lane-{LANE}.log",
            localrule: True
            conda:
                "../envs/sweeps.yaml"
            threads: TRIAL_THREADS
            resources:
                sweep_trials=1,
            params:
                lane=LANE,
            shell:
                f"{THREADS_ENV} {SWEEPS} lane {SPEC_ARGS} {FORCE} --lane {{params.lane}} --lanes {LANES} "
                "--log {log}"


# `snakemake trials`: run every trial slot, without the report.
rule trials:
    input:
        trial_receipts(range(SPEC.budget.n_trials)),
    localrule: True
