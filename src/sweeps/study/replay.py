"""Replayed trials: slot ``i`` runs the published parameters ``spec.replay[i]``."""

from __future__ import annotations

from optuna.trial import FrozenTrial, TrialState

from sweeps.spec import SweepSpec
from sweeps.spec.space import distributions
from sweeps.storage.templates import template_trial


def replay_template(spec: SweepSpec, slot: int) -> FrozenTrial | None:
    """A trial carrying slot ``slot``'s replayed parameters, or None if it samples anew."""
    if slot >= len(spec.replay):
        return None
    dists = distributions(spec)
    params = spec.replay[slot]
    for name, value in params.items():
        dists[name].to_internal_repr(value)  # raises if the value lies outside the space
    return template_trial(
        TrialState.WAITING, params=params, distributions={name: dists[name] for name in params}
    )
