rule report:
    input:
        trial_receipts(range(SPEC.budget.n_trials)),
    output:
        csv=f"{RESULTS}/trials.csv",
        best=f"{RESULTS}/best.json",
        html=f"{RESULTS}/report.html",
    log:
        f"{PATHS.logs}/report.log",
    localrule: True
    conda:
        "../envs/sweeps.yaml"
    shell:
        f"{SWEEPS} report {SPEC_ARGS} --out {RESULTS} 2> {{log}}"
