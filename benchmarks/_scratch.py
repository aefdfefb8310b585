"""What the GPU benchmarks share: a scratch folder to run in (their tables: ``_harness``)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sweeps.storage.open import close_storage


@contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """Run in a new temporary folder; trial jobs still import from the folder we started in."""
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(Path.cwd()), os.environ.get("PYTHONPATH")) if p
    )
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        os.chdir(tmp)
        try:
            yield Path(tmp)
        finally:
            close_storage()
