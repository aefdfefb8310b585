"""Several runs of one sweep at once: one finished trial per slot, a total budget, no run fails.

Three processes each prepare the study on an empty database and run every slot's controller at
the same moment, as when a sweep is restarted from a second login shell while the first run
still goes, or two people share a study.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from support.backends import BACKENDS
from support.databases import PASSWORD_ENV, fresh_database, in_ci, reachable
from support.specs import base_spec

from sweeps.spec import load_spec
from sweeps.storage.open import close_storage
from sweeps.study import load_study
from sweeps.study.keys import Key

RUNS = 3
REPETITIONS = 2
N_TRIALS = 4


@contextmanager
def _empty_storage(kind: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A storage URL on ``kind`` with nothing in it yet (a new database on the servers)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder}/study.db"
    elif kind == "journal":
        yield f"journal:///{folder}/study.log"
    else:
        server_kind = "postgresql" if kind == "postgresql" else "mysql"
        problem = reachable(server_kind)
        if problem:
            if in_ci():
                pytest.fail(problem)
            pytest.skip(problem)
        with fresh_database(server_kind) as server:
            monkeypatch.setenv(PASSWORD_ENV, server.password)
            yield server.url()
    close_storage()


@pytest.mark.parametrize("kind", BACKENDS)
def test_three_runs_at_once_give_one_trial_per_slot(
    kind: str, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for repetition in range(REPETITIONS):
        folder = workdir / f"try{repetition}"
        folder.mkdir()
        with _empty_storage(kind, folder, monkeypatch) as url:
            spec_path = folder / "sweep.yaml"
            data = base_spec(
                study=f"together{repetition}",
                storage=url,
                budget={"n_trials": N_TRIALS},
                parallelism=N_TRIALS,
            )
            spec_path.write_text(yaml.safe_dump(data))
            command = [sys.executable, "-m", "support.concurrent_run", str(spec_path)]
            runs = [
                subprocess.Popen(
                    [*command, str(run), str(RUNS)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                for run in range(RUNS)
            ]
            outputs = [run.communicate(timeout=180)[0] for run in runs]
            codes = [run.returncode for run in runs]
            assert codes == [0] * RUNS, "\n".join(outputs)

            trials = load_study(load_spec(spec_path), check=False).trials
            per_slot = Counter(int(t.system_attrs[Key.SLOT]) for t in trials)
            finished = Counter(
                int(t.system_attrs[Key.SLOT]) for t in trials if t.state.is_finished()
            )
            assert per_slot == {slot: 1 for slot in range(N_TRIALS)}, (kind, repetition, per_slot)
            assert finished == per_slot
            assert all(t.state.name == "COMPLETE" for t in trials), [t.state for t in trials]
            for run in range(RUNS):  # every run wrote every slot's receipt
                assert sorted(p.name for p in (folder / f"run{run}").iterdir()) == sorted(
                    f"{slot}.json" for slot in range(N_TRIALS)
                )
