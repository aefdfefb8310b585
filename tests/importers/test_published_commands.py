"""Each published W&B / Hydra sweep file, imported with `sweeps import`, runs end to end
through snakemake with no wrapper: its trials run a stub script in the file's command form."""

from __future__ import annotations

import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
import pytest
import yaml
from optuna.trial import TrialState
from support.published import PUBLISHED
from support.workflow import objectives_env, run_snakemake, workflow_project

FILES = (PUBLISHED or Path("/nonexistent")) / "sweep-files"
STUB = Path(__file__).resolve().parents[1] / "support" / "programs" / "train_stub.py"
NAMES = sorted(p.name for p in FILES.iterdir()) if FILES.is_dir() else []

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not FILES.is_dir(), reason="published sweep files not present"),
]


def number(value: object) -> float:
    """What the stub makes of one argument (tests/support/programs/train_stub.py)."""
    try:
        return float(str(value))
    except ValueError:
        return float(len(str(value)))


def test_all_seven_files_are_covered() -> None:
    assert len(NAMES) == 7


@dataclass
class Run:
    """One imported file's project: the import, the sweep it wrote, and its snakemake run."""

    hydra: bool
    imported: subprocess.CompletedProcess[str]
    sweep: dict[str, Any] | None = None
    ran: subprocess.CompletedProcess[str] | None = None
    n_values: int = 1


def import_and_run(name: str, cwd: Path) -> Run:
    hydra = name.startswith("facebookresearch") or name.startswith("optuna__")
    out = cwd / "config" / "sweeps" / "default.yaml"
    workflow_project(cwd, {})  # the sweep file is replaced by the import below
    extra = ["--program", str(STUB)] if hydra else []
    argv = [sys.executable, "-m", "sweeps", "import", str(FILES / name), "--out", str(out)]
    done = subprocess.run(
        [*argv, "--n-trials", "2", *extra],
        capture_output=True,
        text=True,
        env=objectives_env(),
        cwd=cwd,
    )
    run = Run(hydra, done)
    if done.returncode != 0:
        return run
    run.sweep = sweep = yaml.safe_load(out.read_text())
    if not hydra:  # the file's own program, next to the sweep as W&B's agent expects it
        shutil.copy(STUB, cwd / sweep["objective"]["program"])
    metrics = sweep.get("metrics") or ["loss"]
    run.n_values = len(sweep.get("directions") or [sweep.get("direction")])
    env = {**objectives_env(), "STUB_METRIC": metrics[0], "STUB_VALUES": str(run.n_values)}
    run.ran = run_snakemake(cwd, "--cores", "2", env=env)
    return run


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Run]]:
    """Every file imported and run, three projects at a time (each its own folder and study)."""
    folders = {name: tmp_path_factory.mktemp(f"import{i}") for i, name in enumerate(NAMES)}
    with ThreadPoolExecutor(3) as pool:
        futures = {name: pool.submit(import_and_run, name, cwd) for name, cwd in folders.items()}
        return {name: (folders[name], future.result()) for name, future in futures.items()}


@pytest.mark.parametrize("name", NAMES)
def test_imported_file_runs_its_script(name: str, runs: dict[str, tuple[Path, Run]]) -> None:
    cwd, run = runs[name]
    assert run.imported.returncode == 0, run.imported.stderr
    sweep, ran = run.sweep, run.ran
    assert sweep is not None and ran is not None
    assert "function" not in sweep["objective"]
    n_values = run.n_values
    assert ran.returncode == 0, ran.stderr[-3000:]
    storage = f"sqlite:///{cwd}/results/{sweep['study']}/study.db"
    trials = optuna.load_study(study_name=sweep["study"], storage=storage).trials
    assert len(trials) == 2
    for trial in trials:
        assert trial.state in (TrialState.COMPLETE, TrialState.PRUNED), trial.user_attrs
        base = sum(abs(number(v)) for v in trial.params.values())
        assert trial.intermediate_values.get(1) in (None, pytest.approx(base))
        if trial.state == TrialState.COMPLETE:
            expected = [base / 3 + i for i in range(n_values)]
            assert trial.values == pytest.approx(expected)
    assert any(t.state == TrialState.COMPLETE for t in trials)
