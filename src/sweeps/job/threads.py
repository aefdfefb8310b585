"""How many threads a trial's numerical libraries start: its ``resources.cpus``.

OpenMP (torch's intra-op pool), MKL, OpenBLAS, Apple's Accelerate and numexpr each start one
thread per core of the node unless told otherwise, so trials sharing a node would oversubscribe
it. These are the variables Snakemake's shell sets to a rule's threads.
"""

from __future__ import annotations

from collections.abc import Mapping

THREAD_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "GOTO_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def thread_env(cpus: int, given: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each thread variable: its value in ``given`` (the user's own), else ``cpus``."""
    given = given or {}
    return {var: given.get(var) or str(cpus) for var in THREAD_VARS}
