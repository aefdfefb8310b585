"""The Slurm tests run against the real test cluster (`bash tests/slurm/cluster.sh up`)."""

from __future__ import annotations

import shutil
import subprocess

import pytest


@pytest.fixture(scope="session")
def slurm_cluster() -> None:
    """Skip when this machine has no Slurm at all; fail when it has one that does not answer."""
    if shutil.which("sinfo") is None:
        pytest.skip("no Slurm on this machine (sinfo not found): bash tests/slurm/cluster.sh up")
    done = subprocess.run(["sinfo", "-h", "-o", "%P %t"], capture_output=True, text=True)
    assert done.returncode == 0, f"Slurm is installed but not answering: {done.stderr}"
    assert "small-g" in done.stdout, f"not the test cluster: {done.stdout}"
