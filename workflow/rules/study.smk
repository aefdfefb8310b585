rule study:
    output:
        f"{RESULTS}/study.json",
    log:
        f"{RESULTS}/logs/study.log",
    localrule: True
    conda:
        "../envs/sweeps.yaml"
    shell:
        f"{SWEEPS} study prepare {SPEC_ARGS} {FORCE} --receipt {{output}} 2> {{log}}"
