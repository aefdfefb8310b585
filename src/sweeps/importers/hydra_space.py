"""What the Optuna sweeper makes of one ``hydra.sweeper.params`` entry, as a sweep parameter.

Follows hydra_plugins.hydra_optuna_sweeper (``create_optuna_distribution_from_override``) on
top of Hydra's grammar functions: ``choice``/``a,b,c`` -> categorical of the values as the
sweeper passes them on; ``range`` -> an int (all ints) or stepped float distribution that
*includes* ``stop`` (``range(n)`` is ``range(0, n)``); ``interval`` -> a float (Hydra makes its
bounds floats; ``int(...)`` casts them); ``log`` among an interval's tags -> log scale (tags on
other sweeps are ignored by the sweeper); ``shuffle``/``sort`` reorder. Anything else raises
:class:`ValueError` naming the construct.
"""

from __future__ import annotations

import decimal
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

from optuna.distributions import FloatDistribution, IntDistribution

from sweeps.importers.hydra_functions import Sweep, evaluate
from sweeps.importers.hydra_grammar import Quoted


@dataclass
class Param:
    """The sweep parameter plus notes on how it was carried over."""

    spec: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    distribution: Any = None  # the Optuna distribution the sweeper builds; None: categorical
    differences: list[str] = field(default_factory=list)  # from what the sweeper does


def to_param(value: Any) -> Param:
    """The parameter the sweeper makes of a parsed override value."""
    notes: list[str] = []
    built = evaluate(value)
    if not isinstance(built, Sweep):  # a plain value: the same override on every trial
        text = encode(built)
        difference = (
            f"a fixed value: Hydra passes it to every trial and records it as a user "
            f"attribute; here a one-choice categorical {text!r}, the same override"
        )
        return Param({"type": "categorical", "choices": [_fixed(built)]}, differences=[difference])
    param = _distribution(built, notes)
    if built.shuffle:
        param.differences.append(
            "shuffle(...): Hydra orders the choices at random (unseeded) at every start; "
            "here in the written order: the same values with the same weights"
        )
    return param


def _fixed(value: Any) -> Any:
    """The value whose ``str()`` is the override text Hydra passes (``null``, quotes kept)."""
    text = encode(value)
    finite = not isinstance(value, float) or math.isfinite(value)
    return value if text == str(value) and finite else text


def _distribution(sweep: Sweep, notes: list[str]) -> Param:
    if sweep.kind == "choice" or (sweep.kind == "range" and sweep.shuffle):
        values = sweep.values if sweep.kind == "choice" else _range_values(sweep)
        return Param({"type": "categorical", "choices": [_choice(v, notes) for v in values]}, notes)
    others = sorted(sweep.tags - {"log"})
    if others:
        notes.append(f"tags {others}: ignored by the Optuna sweeper, as here")
    if sweep.kind == "range":
        if "log" in sweep.tags:
            notes.append(
                "tag(log, range(...)): the Optuna sweeper ignores tags on a range; "
                "a linear stepped distribution, as the sweeper makes"
            )
        return _stepped(sweep, notes)
    return _interval(sweep, notes)


def _stepped(sweep: Sweep, notes: list[str]) -> Param:
    start, stop, step = sweep.start, sweep.stop, sweep.step
    if any(isinstance(v, float) for v in (start, stop, step)):
        if not step:
            raise ValueError("range(...) with step 0")
        with warnings.catch_warnings():  # the lowered stop is noted below
            warnings.simplefilter("ignore")
            dist: Any = FloatDistribution(float(start), float(stop), step=float(step))
        spec = {"type": "float", "low": dist.low, "high": dist.high, "step": dist.step}
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dist = IntDistribution(int(start), int(stop), step=int(step))
        spec = {"type": "int", "low": dist.low, "high": dist.high, "step": dist.step}
    if dist.high != stop:
        notes.append(f"range(...): Optuna lowers the stop {stop} to the last step, {dist.high}")
    return Param(spec, notes, dist)


def _interval(sweep: Sweep, notes: list[str]) -> Param:
    log = "log" in sweep.tags
    extra = {"log": True} if log else {}
    if isinstance(sweep.start, int) and isinstance(sweep.stop, int):
        dist: Any = IntDistribution(sweep.start, sweep.stop, log=log)
        return Param({"type": "int", "low": dist.low, "high": dist.high, **extra}, notes, dist)
    dist = FloatDistribution(float(sweep.start), float(sweep.stop), log=log)
    return Param({"type": "float", "low": dist.low, "high": dist.high, **extra}, notes, dist)


def grid_values(param: Param) -> list[Any]:
    """The sweeper's grid for a parameter (``_to_grid_sampler_choices``): ranges *exclude* the
    end point there, and a continuous distribution has no grid."""
    dist = param.distribution
    if dist is None:
        return list(param.spec["choices"])
    if isinstance(dist, IntDistribution) and not dist.log:
        return [dist.low + i * dist.step for i in range((dist.high - dist.low) // dist.step)]
    if isinstance(dist, FloatDistribution) and dist.step is not None:
        count = int((dist.high - dist.low) // dist.step)
        return [dist.low + i * dist.step for i in range(count)]
    raise ValueError("GridSampler only supports discrete distributions (as in the sweeper)")


def _choice(value: Any, notes: list[str]) -> Any:
    if isinstance(value, Sweep):
        raise ValueError("nesting sweeps in choice(...) is not supported (Hydra refuses it)")
    text = encode(value)
    if value is None:
        return text  # the sweeper encodes null as the text "null", and passes x=null
    if isinstance(value, Quoted):
        return str(value)  # Hydra's grammar unquotes function arguments
    if isinstance(value, list | dict):
        notes.append(f"{text}: a list or mapping choice is passed on as its text, as here")
        return text
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"a choice of {value}: a sweep's choices are finite numbers")
    return value


def encode(value: Any) -> str:
    """A value as Hydra writes it back into an override (``_get_value_element_as_str``)."""
    if value is None:
        return "null"
    if isinstance(value, Quoted):
        return value.with_quotes()
    if isinstance(value, list):
        return "[" + ",".join(encode(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{encode(k)}:{encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return escape(value)
    return str(value)


_SPECIAL = "\\()[]{}:=, \t"  # Hydra's ESC characters


def escape(text: str) -> str:
    """A bare string with Hydra's special characters escaped (``escape_special_characters``)."""
    return "".join(f"\\{char}" if char in _SPECIAL else char for char in text)


def _range_values(sweep: Sweep) -> list[Any]:
    """The values of ``range`` as Hydra enumerates them (stop excluded; floats in decimal)."""
    start, stop, step = sweep.start, sweep.stop, sweep.step
    if all(isinstance(v, int) for v in (start, stop, step)):
        return list(range(start, stop, step))
    first, end, inc = (decimal.Decimal(str(v)) for v in (start, stop, step))
    if inc == 0:
        raise ValueError("range(...) with step 0")
    values, i = [], 0
    while (first + inc * i < end) if inc > 0 else (first + inc * i > end):
        values.append(float(first + inc * i))
        i += 1
    return values
