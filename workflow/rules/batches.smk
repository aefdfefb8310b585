# Reproducible sweeps (`reproducible: true`): trials are asked in batches of `parallelism`, in
# trial-number order, by one job per batch; batch b waits for every receipt of batch b-1, so
# the sampler sees the same history on every run. Each trial job then runs its asked trial.


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


rule batch:
    input:
        study=ancient(f"{RESULTS}/study.json"),
        told=told_before_batch,
    output:
        batch_receipt("{batch}"),
    log:
        f"{RESULTS}/logs/batch-{{batch}}.log",
    wildcard_constraints:
        batch=r"\d+",
    localrule: True
    conda:
        "../envs/sweeps.yaml"
    shell:
        f"{SWEEPS} batch {SPEC_ARGS} {FORCE} --batch {{wildcards.batch}} --receipt {{output}} "
        "2> {log}"
