"""One run of a sweep, as a separate process, for tests/controller/test_concurrent_runs.py.

``python -m support.concurrent_run SPEC RUN N_RUNS``: waits until all ``N_RUNS`` runs are ready
(so they start together), prepares the study as the workflow's study rule does, then runs
every slot's controller at once, as threads (the cluster profiles' ``controllers: threads``).
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sweeps.controller.slot import run_slot
from sweeps.controller.study_job import run_study_job
from sweeps.spec import load_spec


def main(spec_path: str, run: str, n_runs: str) -> int:
    spec = load_spec(Path(spec_path))
    ready = Path(spec_path).parent / "ready"
    ready.mkdir(exist_ok=True)
    (ready / run).touch()
    deadline = time.monotonic() + 60
    while len(list(ready.iterdir())) < int(n_runs) and time.monotonic() < deadline:
        time.sleep(0.01)
    run_study_job(spec)
    slots = range(spec.budget.n_trials)
    receipts = Path(spec_path).parent / f"run{run}"
    with ThreadPoolExecutor(len(slots)) as pool:
        futures = [pool.submit(run_slot, spec, s, receipts / f"{s}.json") for s in slots]
        for future in futures:
            future.result()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
