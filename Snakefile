# The shipped default sweep: `snakemake --cores 2` runs config/sweeps/default.yaml locally.
# Choose another sweep with `--config sweep=PATH`, a cluster with `--profile lumi|saga|betzy`.


configfile: "config/config.yaml"


include: "workflow/Snakefile"


rule all:
    default_target: True
    input:
        # The receipts are listed too, so a deleted receipt re-runs its slot.
        rules.report.input,
        rules.report.output,
    localrule: True
