"""Site limits read from the test cluster's accounting (cluster.sh sets 200 running /
210 queued jobs per user, like LUMI's small-g)."""

from __future__ import annotations

import pytest

from sweeps.run.executors import backend_for
from sweeps.run.executors.slurm.limits import read_limits
from sweeps.spec import spec_from_dict

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]


def test_association_limits_are_read_from_slurm() -> None:
    limits = read_limits("small-g")
    assert limits.max_jobs == 200
    assert limits.max_submit == 210
    assert limits.cap(8) == 8
    assert limits.cap(500) == 200


def test_trials_in_flight_never_exceed_the_site_limit() -> None:
    spec = spec_from_dict(
        {
            "study": "polite",
            "objective": "support.objectives:quadratic",
            "direction": "minimize",
            "space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
            "budget": {"n_trials": 1000},
            "parallelism": 400,
            "dispatch": {"executor": "slurm", "slurm": {"partition": "small-g"}},
        }
    )
    assert backend_for(spec).trials_in_flight(spec) == 200
