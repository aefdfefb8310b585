# One Snakemake job per trial slot. A slot with a receipt is done; re-running a slot whose
# trial already ended only rewrites the receipt from the study, so nothing is run twice.
#
# The slot's controller runs as a process (`sweeps trial`, the default) or, with
# `--config controllers=threads` and `--force-use-threads`, as a thread of this Snakemake
# process: 17x less submit-host memory with 32 trials in flight (benchmarks/submit_host.py).

TRIAL_RECEIPT = str(PATHS.trial_receipt("{slot}"))
TRIAL_LOG = f"{PATHS.logs}/trial-{{slot}}.log"
# Trials that run on this machine take its cores; cluster jobs take none of them.
TRIAL_THREADS = SPEC.resources.cpus if BACKEND.runs_on_submit_host else 1


if CONTROLLERS == "threads":

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
            run_slot_job(
                SPEC, int(wildcards.slot), Path(output[0]), Path(log[0]), FORCE_FLAG
            )

else:

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
            f"{SWEEPS} trial {SPEC_ARGS} {FORCE} --slot {{wildcards.slot}} "
            "--receipt {output} --log {log}"


# `snakemake trials`: run every trial slot, without the report.
rule trials:
    input:
        trial_receipts(range(SPEC.budget.n_trials)),
    localrule: True
