"""The strategies a sweep can name in ``dispatch.mode``: one line per strategy."""

from __future__ import annotations

from sweeps.run.strategies.base import Strategy
from sweeps.run.strategies.job_per_trial import JobPerTrial
from sweeps.run.strategies.warm import WarmWorkers
from sweeps.spec import SweepSpec

STRATEGIES: dict[str, Strategy] = {
    JobPerTrial.name: JobPerTrial(),
    WarmWorkers.name: WarmWorkers(),
}


def register_strategy(strategy: Strategy) -> None:
    """Make ``strategy`` available as ``dispatch.mode: <strategy.name>``."""
    STRATEGIES[strategy.name] = strategy


def strategy_for(spec: SweepSpec) -> Strategy:
    """The strategy ``spec`` asks for (``dispatch.mode``)."""
    try:
        return STRATEGIES[spec.dispatch.mode]
    except KeyError:
        known = ", ".join(sorted(STRATEGIES))
        raise ValueError(
            f"dispatch.mode: {spec.dispatch.mode!r} is not a known mode (known: {known})"
        ) from None
