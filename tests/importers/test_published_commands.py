"""Each published W&B / Hydra sweep file, imported with `sweeps import`, runs end to end
through snakemake with no wrapper: its trials run a stub script in the file's command form."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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


@pytest.mark.parametrize("name", NAMES)
def test_imported_file_runs_its_script(name: str, tmp_path: Path) -> None:
    hydra = name.startswith("facebookresearch") or name.startswith("optuna__")
    out = tmp_path / "config" / "sweeps" / "default.yaml"
    workflow_project(tmp_path, {})  # the sweep file is replaced by the import below
    extra = ["--program", str(STUB)] if hydra else []
    argv = [sys.executable, "-m", "sweeps", "import", str(FILES / name), "--out", str(out)]
    done = subprocess.run(
        [*argv, "--n-trials", "2", *extra],
        capture_output=True,
        text=True,
        env=objectives_env(),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    sweep = yaml.safe_load(out.read_text())
    assert "function" not in sweep["objective"]
    if not hydra:  # the file's own program, next to the sweep as W&B's agent expects it
        shutil.copy(STUB, tmp_path / sweep["objective"]["program"])
    metrics = sweep.get("metrics") or ["loss"]
    n_values = len(sweep.get("directions") or [sweep.get("direction")])
    env = {**objectives_env(), "STUB_METRIC": metrics[0], "STUB_VALUES": str(n_values)}
    ran = run_snakemake(tmp_path, "--cores", "2", env=env)
    assert ran.returncode == 0, ran.stderr[-3000:]
    storage = f"sqlite:///{tmp_path}/results/{sweep['study']}/study.db"
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
