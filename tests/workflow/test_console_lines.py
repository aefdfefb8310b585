"""What `snakemake` prints for a sweep, and where its trials run, through the real command: one
line per trial instead of Snakemake's per-job blocks (`--verbose` shows them again), each
trial's command in its own directory with the project's script, and `resources.cpus` threads
although Snakemake's shell sets the rule's (1 with `--cores 1`)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from support.specs import base_spec
from support.workflow import package_env, run_snakemake, workflow_project

from sweeps.job.threads import THREAD_VARS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("console-lines")]

SAVE_MODEL = Path(__file__).resolve().parents[1] / "support" / "programs" / "save_model.py"
OBJECTIVE = {"command": "${interpreter} train.py --x {x} --save model.pt", "cwd": "{trial_dir}"}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A 2-trial sweep of a near-zero script: the project, a verbose dry run's output and the
    run's (Snakemake prints to stderr)."""
    sweep = base_spec(
        objective=OBJECTIVE,
        budget={"n_trials": 2},
        parallelism=1,
        resources={"time_min": 1, "cpus": 2},
    )
    project = workflow_project(tmp_path_factory.mktemp("console"), sweep).resolve()
    (project / "train.py").write_text(SAVE_MODEL.read_text())
    env = {k: v for k, v in package_env().items() if k not in THREAD_VARS}
    dry = run_snakemake(project, "-n", "--verbose", "--cores", "1", "trials", env=env)
    done = run_snakemake(project, "--cores", "1", "trials", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return project, _output(dry), _output(done)


def _output(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout + done.stderr


def test_one_line_per_trial_and_no_per_job_blocks(run: tuple[Path, str, str]) -> None:
    _, dry, output = run
    assert "[t] trial 0 COMPLETE" in output and "[t] trial 1 COMPLETE" in output
    for block in ("rule lane_0:", "rule study:", "jobid:", "steps (", "Job stats"):
        assert block not in output
    assert "rule lane_0:" in dry  # --verbose shows them again


def test_each_trial_ran_in_its_own_directory_with_cpus_threads(run: tuple[Path, str, str]) -> None:
    project, _, _ = run
    runs = project / "results" / "t" / "trial-runs"
    saved = {d.name: json.loads((d / "model.pt").read_text()) for d in runs.iterdir()}
    assert set(saved) == {"0", "1"}
    for number, record in saved.items():
        assert record["cwd"] == str(runs / number)
        assert record["threads"]["OMP_NUM_THREADS"] == "2"
    assert not (project / "model.pt").exists()
