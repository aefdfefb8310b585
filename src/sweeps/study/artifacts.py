"""Trial artifacts: each attempt's job log, viewable in optuna-dashboard.

The artifact store is a directory beside the sweep's results (``results/<study>/artifacts``),
which ``sweeps dashboard`` serves. Uploading is best effort: a trial's outcome never depends on
whether its log could be copied.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import optuna
from optuna.artifacts import FileSystemArtifactStore, upload_artifact

from sweeps.spec import SweepSpec
from sweeps.spec.paths import SweepPaths

_log = logging.getLogger("sweeps.study")

LOG_LIMIT_BYTES = 2_000_000


def artifact_store(spec: SweepSpec) -> FileSystemArtifactStore:
    """The sweep's artifact store (created if needed)."""
    path = SweepPaths.of(spec).artifacts
    path.mkdir(parents=True, exist_ok=True)
    return FileSystemArtifactStore(str(path))


def attach_job_logs(spec: SweepSpec, study: optuna.Study, trial: optuna.Trial, job: Any) -> None:
    """Upload the ended job's stdout and stderr as artifacts of ``trial``."""
    try:
        store = artifact_store(spec)
        for name, reader in (("stdout", job.job.stdout), ("stderr", job.job.stderr)):
            text = reader() or ""
            if not text:
                continue
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"job-{job.job_id}.{name}.txt"
                path.write_text(text[-LOG_LIMIT_BYTES:])
                upload_artifact(
                    artifact_store=store,
                    file_path=str(path),
                    study_or_trial=trial,
                    mimetype="text/plain",
                )
    except Exception as err:  # never let a log copy decide a trial's fate
        _log.warning("could not attach the job log of trial %d: %s", trial.number, err)
