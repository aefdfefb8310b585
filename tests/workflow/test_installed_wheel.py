"""A user's path: the built wheel, installed (not editable) into a fresh virtualenv, runs a
``sweeps init`` project with ``snakemake --cores 2`` and makes a report archive of it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import optuna
import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


def run(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return done.stdout


def fresh_venv(root: Path) -> Path:
    """A virtualenv whose Python finds this environment's dependencies but not its ``sweeps``.

    ``--system-site-packages`` reaches the base interpreter's packages, not this virtualenv's,
    so a path file adds this environment's site-packages after the new one's. Entries of a path
    file are not scanned for further path files, so the editable ``sweeps`` install (itself a
    path file there) stays out of the new virtualenv.
    """
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(root)], check=True)
    python = root / "bin" / "python"
    site = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        cwd=root,
        env=clean_env(root),
    )
    Path(site.strip(), "current-env.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return python


def clean_env(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def source_copy(dest: Path) -> Path:
    """What the wheel is built from, copied (links kept) so no stale build/ is packed."""
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, dest / name)
    for name in ("src", "workflow", "config", "profiles"):
        shutil.copytree(
            REPO / name,
            dest / name,
            symlinks=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
        )
    return dest


def test_an_installed_wheel_runs_a_new_project(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    source = source_copy(tmp_path)
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            str(source),
            "-w",
            str(dist),
        ],
        cwd=tmp_path,
        env=os.environ.copy(),
    )
    (wheel,) = dist.glob("hpc_sweeps-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in (
        "sweeps/workflow/Snakefile",
        "sweeps/workflow/rules/trials.smk",
        "sweeps/workflow/schemas/config.schema.yaml",
        "sweeps/published_sweeps/bayesmark-SVM_wine_acc.yaml",
        "sweeps/published_times.json",
        "sweeps/templates/init/train.py",
        "sweeps/profiles/lumi/config.yaml",
        "sweeps/report/published.py",
        "sweeps/cli/compare.py",
    ):
        assert shipped in names
    # What only the benchmarks need stays out of the package.
    assert not [n for n in names if n.startswith("sweeps/published/")]

    venv = tmp_path / "venv"
    python = fresh_venv(venv)
    env = clean_env(venv)
    run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        cwd=tmp_path,
        env=env,
    )
    where = run([str(python), "-c", "import sweeps; print(sweeps.__file__)"], cwd=tmp_path, env=env)
    assert Path(where.strip()).is_relative_to(venv), where

    # The list of published sweeps reads the measured times the wheel ships.
    listed = run(
        [str(venv / "bin" / "sweeps"), "published", "bayesmark-kNN_iris_acc"], cwd=tmp_path, env=env
    )
    row = listed.splitlines()[-1].split()
    assert row[:2] == ["bayesmark-kNN_iris_acc", "15"] and "not" not in row[2:4], listed
    run([str(venv / "bin" / "sweeps"), "init", "proj"], cwd=tmp_path, env=env)
    proj = tmp_path / "proj"
    run([str(python), "-m", "snakemake", "--cores", "2"], cwd=proj, env=env)

    study = optuna.load_study(
        study_name="example", storage=f"sqlite:///{proj / 'results/example/study.db'}"
    )
    # The example is a command objective: train.py reports each epoch through the client and
    # the sweep's MedianPruner stops some trials early.
    trials = study.get_trials(deepcopy=False)
    states = [t.state for t in trials]
    assert len(states) == 10
    assert all(s.is_finished() for s in states)
    # MedianPruner(n_startup_trials=2) prunes nothing until two trials have completed.
    assert states.count(optuna.trial.TrialState.COMPLETE) >= 2, states
    assert states.count(optuna.trial.TrialState.PRUNED) >= 1, states
    for trial in trials:
        assert trial.intermediate_values
        if trial.state == optuna.trial.TrialState.PRUNED:
            assert len(trial.intermediate_values) < 10

    run([str(python), "-m", "snakemake", "--report", "report.zip"], cwd=proj, env=env)
    # The sweep's own results, not just the report's page: files under data/raw/.
    names = zipfile.ZipFile(proj / "report.zip").namelist()
    archived = {Path(n).name for n in names if "/data/raw/" in n}
    assert archived == {"trials.csv", "best.json", "report.html"}
