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
        verdict=f"{PATHS.logs}/verdict.txt",
    log:
        f"{PATHS.logs}/report.log",
    localrule: True
    conda:
        "../envs/sweeps.yaml"
    shell:
        f"{SWEEPS} report {SPEC_ARGS} --out {RESULTS} --verdict {{output.verdict}} 2> {{log}}"


# The last step: a sweep none of whose trials completed ends with an error, in one line (the
# report above is kept). The marker is written only when a trial completed, so a re-run of such
# a sweep says it again instead of "nothing to be done". The report wrote the verdict
# (`sweeps outcome` tells the same): no Python starts here.
rule outcome:
    input:
        verdict=rules.report.output.verdict,
    output:
        f"{RESULTS}/succeeded",
    log:
        f"{PATHS.logs}/outcome.log",
    localrule: True
    conda:
        "../envs/sweeps.yaml"
    shell:
        'tail -n +2 {input.verdict} > {log}; if [ "$(head -n 1 {input.verdict})" = ok ]; '
        "then cat {log}; touch {output}; else cat {log} >&2; exit 1; fi"
