"""Replayed trials: slot ``i`` runs the published parameters ``spec.replay[i]``."""

from __future__ import annotations

from optuna.trial import FrozenTrial, TrialState

from sweeps.spec import SweepSpec
from sweeps.spec.space import distributions


def replay_template(spec: SweepSpec, slot: int) -> FrozenTrial | None:
    """A trial carrying slot ``slot``'s replayed parameters, or None if it samples anew."""
    if slot >= len(spec.replay):
        return None
    dists = distributions(spec)
    params = spec.replay[slot]
    for name, value in params.items():
        dists[name].to_internal_repr(value)  # raises if the value lies outside the space
    return FrozenTrial(
        number=-1,
        state=TrialState.WAITING,
        value=None,
        datetime_start=None,
        datetime_complete=None,
        params=dict(params),
        distributions={name: dists[name] for name in params},
        user_attrs={},
        system_attrs={},
        intermediate_values={},
        trial_id=-1,
    )
