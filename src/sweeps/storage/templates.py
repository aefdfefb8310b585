"""Template trials: how a new trial is created already tagged, in one storage call.

``Study.ask()`` cannot tag a trial atomically; ``BaseStorage.create_new_trial`` with a template
can, so no untagged trial can leak when a process dies between creating and tagging it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial, TrialState


def template_trial(
    state: TrialState,
    *,
    system_attrs: Mapping[str, Any] | None = None,
    like: FrozenTrial | None = None,
    params: Mapping[str, Any] | None = None,
    distributions: Mapping[str, BaseDistribution] | None = None,
) -> FrozenTrial:
    """A template for ``create_new_trial``: ``state`` with ``system_attrs``, and the parameters
    of ``like`` (a previous attempt or a replayed trial) or ``params`` with their
    ``distributions``. A RUNNING trial starts now."""
    if like is not None:
        params, distributions = like.params, like.distributions
    return FrozenTrial(
        number=-1,
        state=state,
        value=None,
        datetime_start=datetime.now(UTC) if state == TrialState.RUNNING else None,
        datetime_complete=None,
        params=dict(params or {}),
        distributions=dict(distributions or {}),
        user_attrs={},
        system_attrs=dict(system_attrs or {}),
        intermediate_values={},
        trial_id=-1,
    )
