"""How a slot's trial runs: one :class:`Strategy` interface, a registry, a module per strategy.

The controller asks :func:`strategy_for` to start (or re-attach to) a trial and waits on the
:class:`Running` attempt it gets back; it does not know which strategy runs it. Adding one is a
module and a line in :mod:`.registry`.
"""

from sweeps.run.strategies.base import Running, Strategy
from sweeps.run.strategies.checks import DispatchConfigError, check_dispatch
from sweeps.run.strategies.registry import STRATEGIES, register_strategy, strategy_for

__all__ = [
    "STRATEGIES",
    "DispatchConfigError",
    "Running",
    "Strategy",
    "check_dispatch",
    "register_strategy",
    "strategy_for",
]
