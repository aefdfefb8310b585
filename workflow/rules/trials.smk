# One Snakemake job per trial slot. A slot with a receipt is done; re-running a slot whose
# trial already ended only rewrites the receipt from the study, so nothing is run twice.


rule trial:
    input:
        ancient(f"{RESULTS}/study.json"),
        slot_batch,
    output:
        f"{RESULTS}/trials/{{slot}}.json",
    log:
        f"{RESULTS}/logs/trial-{{slot}}.log",
    wildcard_constraints:
        slot=r"\d+",
    threads: SPEC.resources.cpus if SPEC.dispatch.executor == "local" else 1
    resources:
        sweep_trials=1,
    localrule: True
    conda:
        "../envs/sweeps.yaml"
    shell:
        f"{SWEEPS} trial {SPEC_ARGS} {FORCE} --slot {{wildcards.slot}} --receipt {{output}} "
        "--log {log}"
