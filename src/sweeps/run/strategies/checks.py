"""Whether a sweep can be run as its file says, checked before anything is submitted."""

from __future__ import annotations

from pathlib import Path

from sweeps.job.objective_check import check_objective, trials_directory
from sweeps.run.executors import backend_for
from sweeps.run.strategies.registry import strategy_for
from sweeps.spec import SweepSpec


class DispatchConfigError(ValueError):
    """The sweep cannot be dispatched as its file says (raised before anything is submitted)."""


def check_dispatch(
    spec: SweepSpec, source: str | Path | None = None, site_checks: bool = True
) -> str | None:
    """Raise ``ValueError`` naming the file (``source``), setting and value when the sweep
    cannot be dispatched: an unknown executor, a strategy that refuses its settings, an
    objective that cannot be imported where its trials run (from the project directory of
    ``source``, as they import it) or cannot take its fixed arguments and, with
    ``site_checks``, settings the backend refuses here (a missing Slurm account, say). Returns
    a note to print when the objective could not be checked here (it lives only in the
    trials' environment)."""
    try:
        backend = backend_for(spec)
        if site_checks:
            backend.check(spec)
        strategy_for(spec).check(spec)
        must_import = backend.runs_on_submit_host
        note = check_objective(spec, must_import, directory=trials_directory(source))
    except ValueError as err:
        if source is None:
            raise
        raise DispatchConfigError(f"{source}: {err}") from None
    return note
