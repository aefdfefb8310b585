# The study is created (or loaded and checked) once, before any trial slot runs. With warm
# workers, its job also submits the worker jobs the first trials need.

STUDY_RECEIPT = str(PATHS.study_receipt)
STUDY_LOG = f"{PATHS.logs}/study.log"


if CONTROLLERS == "threads":

    rule study:
        output:
            STUDY_RECEIPT,
        log:
            STUDY_LOG,
        localrule: True
        conda:
            "../envs/sweeps.yaml"
        run:
            run_study_job(SPEC, Path(output[0]), FORCE_FLAG)

else:

    rule study:
        output:
            STUDY_RECEIPT,
        log:
            STUDY_LOG,
        localrule: True
        conda:
            "../envs/sweeps.yaml"
        shell:
            f"{SWEEPS} study prepare {SPEC_ARGS} {FORCE} --receipt {{output}} 2> {{log}}"
