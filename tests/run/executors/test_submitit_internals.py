"""submitit beyond its documented API, checked against the installed submitit."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import submitit

from sweeps.run.executors.submitit_internals import (
    SUBMIT_MODULE,
    FailedJobError,
    read_result,
    sbatch_script,
)


def test_the_sbatch_script_renders_without_submitting(tmp_path: Path) -> None:
    script = sbatch_script(
        f"python -m {SUBMIT_MODULE} {tmp_path}", tmp_path, {"job_name": "n", "time": 5}
    )
    assert script.startswith("#!/bin/bash")
    assert "#SBATCH --job-name=n" in script and "#SBATCH --time=5" in script
    assert SUBMIT_MODULE in script


def test_a_job_result_pickle_is_read_as_kind_and_value(tmp_path: Path) -> None:
    executor = submitit.LocalExecutor(folder=tmp_path / "%j")
    ok, bad = executor.submit(math.factorial, 4), executor.submit(math.sqrt, -1)
    assert ok.result() == 24
    assert read_result(ok.paths.result_pickle) == ("success", 24)
    with contextlib.suppress(FailedJobError):
        bad.result()
    kind, text = read_result(bad.paths.result_pickle)
    assert kind == "error" and "math domain error" in text
