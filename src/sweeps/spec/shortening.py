"""Shortening a sweep's budget for one run, without editing a file.

``snakemake --config n_trials=N`` runs N trials of a sweep whose file says
``budget.n_trials: M``; N is merged over the sweep (and its site overrides) as a site
override's ``budget.n_trials`` would be. The workflow hands N to the ``sweeps`` commands it runs
in :data:`N_TRIALS_ENV`, not on their command lines: Snakemake re-runs a finished job whose
command changed (its ``code`` rerun trigger), and stops its run after that job, so a run with
the full budget after a shortened one would take a run per finished job. ``--n-trials N`` gives
it to a command by hand. It only shortens: N is
a whole number from 1 to M, checked before anything runs; a longer run is an edit of
``budget.n_trials`` (in the file, or a ``site_overrides`` file).

A shortened run is the same study with fewer trials. ``n_trials`` is not a pinned setting (it
decides how many trials run, not which), so the study's fingerprint is the full sweep's: a
later run with the full budget resumes the same study and runs the slots left, and in a
reproducible sweep trial ``i`` of the shortened run is trial ``i`` of a full one. The study
records how far its runs went (sweeps.study.budget_record), so the report and ``sweeps
compare`` say "shortened from M to N trials".
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, MutableMapping
from typing import Any

N_TRIALS = "n_trials"
"""The Snakemake config key (``--config n_trials=N``) and the name the errors give it."""
N_TRIALS_ENV = "SWEEPS_N_TRIALS"
"""Where the workflow's main process leaves N for the commands it runs (unset: no N)."""


def hand_on(n_trials: int | None, environ: MutableMapping[str, str] = os.environ) -> None:
    """Leave the run's shortened budget for the processes started from here (None: clear it,
    so a value inherited from an earlier shell does not shorten this run)."""
    if n_trials is None:
        environ.pop(N_TRIALS_ENV, None)
    else:
        environ[N_TRIALS_ENV] = str(n_trials)


def handed_on(environ: Mapping[str, str] = os.environ) -> str | None:
    """The shortened budget the workflow left for this process, if any."""
    return environ.get(N_TRIALS_ENV) or None


def file_trials(data: dict[str, Any]) -> int | None:
    """The sweep file's own ``budget.n_trials`` (before any override), if it is a whole number."""
    budget = data.get("budget")
    value = budget.get("n_trials") if isinstance(budget, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def shortened_trials(value: object, budget: int | None) -> int | str:
    """The trials a run given ``n_trials=value`` runs, or what is wrong with ``value``.

    ``budget`` is the sweep file's ``budget.n_trials`` (None when the file has none that is a
    number: its own error is reported then). ``value`` is a whole number, or its digits as a
    command line gives them."""
    give = f"give 1 to {budget} (the sweep's budget.n_trials)" if budget else "give 1 or more"
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"[-+]?\d+", value.strip()):
        number = int(value)
    if number is None:
        return f"not a whole number of trials; {give}"
    if number < 1:
        return f"a run needs at least 1 trial; {give}"
    if budget is not None and number > budget:
        return (
            f"more than the sweep's budget.n_trials ({budget}): {N_TRIALS} only shortens a "
            "budget; to run more trials, raise budget.n_trials in the sweep file (or in a "
            "site_overrides file)"
        )
    return number
