# The shipped default sweep: `snakemake --cores 2` runs config/sweeps/default.yaml locally.
# Choose another sweep with `--config sweep=PATH`, a cluster with `--profile lumi|saga|betzy`.
# The workflow comes from the installed package, as in any project `sweeps init` writes.

import hpc_sweeps


configfile: "config/config.yaml"


module sweeps:
    snakefile:
        hpc_sweeps.workflow_path()
    config:
        config


use rule * from sweeps
