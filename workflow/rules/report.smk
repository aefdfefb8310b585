rule report:
    input:
        trial_receipts(range(SPEC.budget.n_trials)),
    output:
        csv=report(
            f"{RESULTS}/trials.csv", caption="../report/trials.rst", category="Results"
        ),
        best=report(
            f"{RESULTS}/best.json", caption="../report/best.rst", category="Results"
        ),
        html=report(
            f"{RESULTS}/report.html",
            caption="../report/report.rst",
            category="Results",
        ),
    log:
        f"{PATHS.logs}/report.log",
    localrule: True
    conda:
        "../envs/sweeps.yaml"
    shell:
        f"{SWEEPS} report {SPEC_ARGS} --out {RESULTS} 2> {{log}}"
