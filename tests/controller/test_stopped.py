"""A slot controller that cannot go on: its trial is left to be retried and the console gets
one line per cause (real `sweeps trial` processes, real file-system errors, every backend)."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from optuna.trial import FrozenTrial, TrialState
from support.databases import Backend
from support.specs import base_spec

from sweeps.controller.slot import run_slot
from sweeps.spec import SweepSpec, load_spec
from sweeps.study import load_study, prepare_study
from sweeps.study.keys import Key


def sweep(backend: Backend, study: str, **overrides: Any) -> tuple[Path, SweepSpec]:
    path = Path("sweep.yaml")
    path.write_text(yaml.safe_dump(base_spec(study=study, storage=backend.url, **overrides)))
    spec = load_spec(path)
    prepare_study(spec)
    return path, spec


def run_controller(path: Path, **popen: Any) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "sweeps", "trial", "--spec", str(path), "--slot", "0"]
    return subprocess.run(
        [*command, "--receipt", "results/trials/0.json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **popen,
    )


def assert_left_for_a_retry(
    result: subprocess.CompletedProcess[str], spec: SweepSpec, cause: str, logged: bool = True
) -> FrozenTrial:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1, result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert cause in lines[0] and "marked for a retry" in lines[0], lines
    trial = load_study(spec).trials[-1]
    assert trial.state == TrialState.FAIL and trial.system_attrs[Key.RETRYABLE]
    assert cause in trial.user_attrs["fail_reason"]
    if logged:  # the traceback went to the trial's log
        log = Path(f"results/{spec.study}/trial-logs/{trial.number}.log").read_text()
        assert "Traceback" in log and cause in log
    return trial


def test_a_controller_that_cannot_write_its_jobs_folder_leaves_a_retryable_trial(  # type: ignore[no-untyped-def]
    backend, unique_study: str
) -> None:
    Path("blocked").write_text("a file where the jobs folder should be\n")
    path, spec = sweep(backend, unique_study, dispatch={"folder": "blocked/jobs"})
    result = run_controller(path)
    failed = assert_left_for_a_retry(result, spec, "NotADirectoryError")

    Path("blocked").unlink()  # the user fixes it; the next run retries with the same params
    run_slot(spec, 0, Path("results/trials/0.json"))
    retried = load_study(spec).trials[-1]
    assert retried.state == TrialState.COMPLETE and retried.params == failed.params


def _small_files() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"], indirect=True)
def test_a_controller_on_a_full_disk_leaves_a_retryable_trial(  # type: ignore[no-untyped-def]
    backend, unique_study: str
) -> None:
    """The controller may write no file past 2 KiB (RLIMIT_FSIZE: the kernel refuses the write
    as on a full disk); the study is on a database server, so only the job's files fail."""
    path, spec = sweep(backend, unique_study)
    result = run_controller(path, preexec_fn=_small_files)
    assert_left_for_a_retry(result, spec, "File too large", logged=False)
