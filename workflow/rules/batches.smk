# Reproducible sweeps (`reproducible: true`): trials are asked in batches of `parallelism`, in
# trial-number order, by one job per batch; batch b waits for every receipt of batch b-1, so
# the sampler sees the same history on every run. Each trial job then runs its asked trial.


rule batch:
    input:
        study=ancient(STUDY_RECEIPT),
        told=told_before_batch,
    output:
        batch_receipt("{batch}"),
    log:
        f"{PATHS.logs}/batch-{{batch}}.log",
    wildcard_constraints:
        batch=r"\d+",
    localrule: True
    conda:
        "../envs/sweeps.yaml"
    shell:
        f"{SWEEPS} batch {SPEC_ARGS} {FORCE} --batch {{wildcards.batch}} --receipt {{output}} "
        "2> {log}"
