"""The tail of a job's logs, stored on a trial that failed."""

from __future__ import annotations

from typing import Any

import submitit

LOG_TAIL_CHARS = 8_000


def log_tail(job: submitit.Job[Any]) -> str:
    """The end of the job's stderr and stdout."""
    parts = []
    for name, reader in (("stderr", job.stderr), ("stdout", job.stdout)):
        text = reader() or ""
        if text:
            parts.append(f"--- {name} (tail) ---\n{text[-LOG_TAIL_CHARS // 2 :]}")
    return "\n".join(parts)
