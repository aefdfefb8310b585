"""W&B sweep parameters as sweep-file parameters, exact or noted or refused.

W&B's draws (``wandb/sweeps``, ``src/sweeps/params.py``, ``HyperParameter.ppf``): a quantised
value is ``round(x / q) * q`` of a continuous draw ``x``, an int when ``q`` is written as an
int; a categorical with ``probabilities`` takes ``values[argmin(u >= cumsum(p))]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from sweeps.importers.base import UnsupportedConstruct

# The most values a quantised parameter is listed with, weighted; above it, a step range.
MAX_WEIGHTED_VALUES = 1000
_SCALAR = (bool, int, float, str, type(None))

_KEYS: dict[str, set[str]] = {
    "constant": {"value"},
    "categorical": {"values", "probabilities"},
    "categorical_w_probabilities": {"values", "probabilities"},
    "int_uniform": {"min", "max"},
    "uniform": {"min", "max"},
    "log_uniform_values": {"min", "max"},
    "log_uniform": {"min", "max"},
    "q_uniform": {"min", "max", "q"},
    "q_log_uniform_values": {"min", "max", "q"},
    "q_log_uniform": {"min", "max", "q"},
}
_REFUSED = {
    "normal": "unbounded; every Optuna distribution has bounds",
    "q_normal": "unbounded; every Optuna distribution has bounds",
    "log_normal": "unbounded; every Optuna distribution has bounds",
    "q_log_normal": "unbounded; every Optuna distribution has bounds",
    "beta": "Optuna has no beta distribution",
    "q_beta": "Optuna has no beta distribution",
    "inv_log_uniform": "Optuna has no inverse log-uniform distribution",
    "inv_log_uniform_values": "Optuna has no inverse log-uniform distribution",
}
# What ``grid`` enumerates in W&B (grid_search.py); it refuses every other distribution.
_GRID = {"constant", "categorical", "int_uniform", "q_uniform"}


@dataclass(frozen=True)
class _Where:
    source: Path
    key: str
    method: str
    notes: list[str]

    def refuse(self, sub: str, value: Any, why: str) -> UnsupportedConstruct:
        return UnsupportedConstruct(self.source, f"{self.key}{sub}", value, why)


def parameter(source: Path, key: str, spec: Any, method: str, notes: list[str]) -> dict[str, Any]:
    """The sweep-file parameter for one W&B parameter (``key`` is ``parameters.NAME``)."""
    at = _Where(source, key, method, notes)
    if not isinstance(spec, dict):
        raise at.refuse("", spec, "a parameter is a mapping")
    if "parameters" in spec:
        raise at.refuse(".parameters", "<nested>", "nested parameters")
    kind = spec.get("distribution") or _infer(at, spec)
    if kind in _REFUSED:
        raise at.refuse(".distribution", kind, _REFUSED[kind])
    if kind not in _KEYS:
        raise at.refuse(".distribution", kind, "not a W&B distribution")
    for name in spec:
        if name != "distribution" and name not in _KEYS[kind]:
            raise at.refuse(f".{name}", spec[name], f"not a key of distribution {kind}")
    if method == "grid" and kind not in _GRID:
        raise at.refuse(
            ".distribution", kind, "W&B's grid takes only values, value, int_uniform, q_uniform"
        )
    return _BUILDERS[kind](at, spec)


def _infer(at: _Where, spec: dict[str, Any]) -> str:
    """W&B's inference when ``distribution`` is absent."""
    if "values" in spec:
        return "categorical_w_probabilities" if "probabilities" in spec else "categorical"
    if "value" in spec:
        return "constant"
    if "min" in spec and "max" in spec:
        ints = all(_is_int(spec[k]) for k in ("min", "max"))
        return "int_uniform" if ints else "uniform"
    raise at.refuse("", spec, "cannot infer a distribution (needs values, value or min/max)")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _need(at: _Where, spec: dict[str, Any], name: str) -> Any:
    if name not in spec:
        raise at.refuse(f".{name}", "<missing>", "required here")
    value = spec[name]
    if name in ("min", "max", "q") and (
        isinstance(value, bool) or not isinstance(value, int | float)
    ):
        raise at.refuse(f".{name}", value, "must be a number")
    return value


def _constant(at: _Where, spec: dict[str, Any]) -> dict[str, Any]:
    value = _need(at, spec, "value")
    at.notes.append(
        f"{at.key}: constant {value!r} -> a one-choice categorical (trials see it, as W&B runs do)"
    )
    return _choices(at, ".value", [value])


def _categorical(at: _Where, spec: dict[str, Any]) -> dict[str, Any]:
    param = _choices(at, ".values", _need(at, spec, "values"))
    if "probabilities" not in spec:
        return param
    weights = spec["probabilities"]
    if at.method != "random":
        why = {
            "grid": "W&B's grid refuses probabilities too",
            "bayes": "GPSampler cannot weight choices; only random search draws by weight",
        }[at.method]
        raise at.refuse(".probabilities", weights, why)
    if not isinstance(weights, list) or len(weights) != len(param["choices"]):
        raise at.refuse(".probabilities", weights, "needs one probability per value")
    if any(isinstance(w, bool) or not isinstance(w, int | float) or w < 0 for w in weights):
        raise at.refuse(".probabilities", weights, "probabilities are numbers >= 0")
    if abs(math.fsum(weights) - 1) > 1e-9:
        raise at.refuse(
            ".probabilities", weights, f"sum to {math.fsum(weights)}, not 1 (W&B would skew them)"
        )
    return {**param, "weights": [float(w) for w in weights]}


def _choices(at: _Where, sub: str, values: Any) -> dict[str, Any]:
    if not isinstance(values, list) or not values:
        raise at.refuse(sub, values, "needs a non-empty list")
    for value in values:
        if not isinstance(value, _SCALAR):
            raise at.refuse(sub, value, "only scalar choices (not lists or mappings)")
    return {"type": "categorical", "choices": list(values)}


def _int_uniform(at: _Where, spec: dict[str, Any]) -> dict[str, Any]:
    low, high = _need(at, spec, "min"), _need(at, spec, "max")
    for name, value in (("min", low), ("max", high)):
        if not float(value).is_integer():
            raise at.refuse(f".{name}", value, "int_uniform needs integer bounds")
    return {"type": "int", "low": int(low), "high": int(high)}


def _uniform(at: _Where, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "float",
        "low": float(_need(at, spec, "min")),
        "high": float(_need(at, spec, "max")),
    }


def _log_uniform_values(at: _Where, spec: dict[str, Any]) -> dict[str, Any]:
    return {**_uniform(at, spec), "log": True}


def _log_uniform(at: _Where, spec: dict[str, Any]) -> dict[str, Any]:
    """Legacy: the bounds are natural logs of the values."""
    low, high = float(_need(at, spec, "min")), float(_need(at, spec, "max"))
    return {"type": "float", "low": math.exp(low), "high": math.exp(high), "log": True}


@dataclass(frozen=True)
class _Quantised:
    """``round(x / q) * q`` of ``x = inverse(u)``, ``u`` uniform on ``[lo, hi]``."""

    lo: float
    hi: float
    q: int | float
    forward: Callable[[float], float]  # value -> u
    inverse: Callable[[float], float]  # u -> value

    def value(self, k: int) -> int | float:
        return k * self.q if _is_int(self.q) else float(k) * self.q

    def probability(self, k: int) -> float:
        """W&B's probability of ``k * q``: the share of [lo, hi] that rounds to it."""
        top = min(self.hi, self.forward((k + 0.5) * self.q))
        bottom = max(self.lo, self.forward((k - 0.5) * self.q))
        return max(0.0, top - bottom) / (self.hi - self.lo)

    def ks(self) -> list[int]:
        """Every k W&B can produce with a positive probability."""
        first = math.floor(self.inverse(self.lo) / self.q) - 1
        last = math.ceil(self.inverse(self.hi) / self.q) + 1
        return [k for k in range(first, last + 1) if self.probability(k) > 0]


def _log(x: float) -> float:
    return math.log(x) if x > 0 else -math.inf


def _q_uniform(at: _Where, spec: dict[str, Any]) -> dict[str, Any]:
    low, high, q = _bounds_and_q(at, spec)
    if at.method == "grid":  # W&B's grid: np.arange(min, max, q), max itself left out
        values = np.arange(spec["min"], spec["max"], q).tolist()
        at.notes.append(f"{at.key}: q_uniform in a grid -> W&B's grid values {values}")
        return _choices(at, "", values)
    return _quantised(at, "q_uniform", _Quantised(low, high, q, float, float))


def _q_log_uniform_values(at: _Where, spec: dict[str, Any]) -> dict[str, Any]:
    low, high, q = _bounds_and_q(at, spec)
    if low <= 0:
        raise at.refuse(".min", low, "q_log_uniform_values needs min > 0")
    return _quantised(
        at, "q_log_uniform_values", _Quantised(math.log(low), math.log(high), q, _log, math.exp)
    )


def _q_log_uniform(at: _Where, spec: dict[str, Any]) -> dict[str, Any]:
    low, high, q = _bounds_and_q(at, spec)
    return _quantised(at, "q_log_uniform", _Quantised(low, high, q, _log, math.exp))


def _bounds_and_q(at: _Where, spec: dict[str, Any]) -> tuple[float, float, int | float]:
    low, high = _need(at, spec, "min"), _need(at, spec, "max")
    q = spec.get("q", 1.0)  # W&B's default q is the float 1.0: its values are floats
    if isinstance(q, bool) or not isinstance(q, int | float) or q <= 0:
        raise at.refuse(".q", q, "must be a positive number")
    if not low < high:
        raise at.refuse(".max", high, f"must exceed min ({low})")
    return float(low), float(high), q


def _quantised(at: _Where, kind: str, dist: _Quantised) -> dict[str, Any]:
    """Random search with few values: every value W&B can produce, with W&B's probability
    (exact). Otherwise a range over the same values, noted with how the odds differ."""
    ks = dist.ks()
    values = [dist.value(k) for k in ks]
    if at.method == "random" and len(ks) <= MAX_WEIGHTED_VALUES:
        at.notes.append(
            f"{at.key}: {kind} -> the {len(ks)} values W&B can draw, each with W&B's "
            "probability (exact under random search)"
        )
        return {
            "type": "categorical",
            "choices": values,
            "weights": [dist.probability(k) for k in ks],
        }
    why = "bayes" if at.method != "random" else f"{len(ks)} values (over {MAX_WEIGHTED_VALUES})"
    first, last = values[0], values[-1]
    w_first, w_last = dist.probability(ks[0]), dist.probability(ks[-1])
    if kind == "q_uniform":
        n, inner = len(ks), dist.q / (dist.hi - dist.lo)
        at.notes.append(
            f"{at.key}: approximate ({why}): q_uniform -> the {n} multiples of q from {first} to "
            f"{last}, each with probability 1/{n}; W&B draws {first} with {w_first:.6g}, "
            f"{last} with {w_last:.6g} and each value between with {inner:.6g}"
        )
        if _is_int(dist.q):
            return {"type": "int", "low": first, "high": last, "step": dist.q}
        at.notes.append(
            f"{at.key}: approximate: values are low + i * q in decimal, which can differ from "
            "W&B's k * q in the last binary digit"
        )
        step = Decimal(repr(dist.q))
        low, high = (float(step * k) for k in (ks[0], ks[-1]))
        return {"type": "float", "low": low, "high": high, "step": float(dist.q)}
    if dist.q != 1 or ks[0] < 1:
        raise at.refuse(
            ".q", dist.q, f"{kind} with {why}: Optuna has no log-scaled range with a step or with 0"
        )
    lo, hi = int(first), int(last)
    ours_first = math.log((lo + 0.5) / (lo - 0.5)) / math.log((hi + 0.5) / (lo - 0.5))
    ours_last = math.log((hi + 0.5) / (hi - 0.5)) / math.log((hi + 0.5) / (lo - 0.5))
    floats = "" if _is_int(dist.q) else "; W&B's values are floats (q is 1.0), these are ints"
    at.notes.append(
        f"{at.key}: approximate ({why}): {kind} with q=1 -> a log-scaled int from {lo} to {hi}; "
        f"W&B draws {lo} with {w_first:.6g} and {hi} with {w_last:.6g}, RandomSampler with "
        f"{ours_first:.6g} and {ours_last:.6g} (it spans [{lo}-0.5, {hi}+0.5] on the log "
        f"scale, W&B [min, max]){floats}"
    )
    return {"type": "int", "low": lo, "high": hi, "log": True}


_BUILDERS: dict[str, Callable[[_Where, dict[str, Any]], dict[str, Any]]] = {
    "constant": _constant,
    "categorical": _categorical,
    "categorical_w_probabilities": _categorical,
    "int_uniform": _int_uniform,
    "uniform": _uniform,
    "log_uniform_values": _log_uniform_values,
    "log_uniform": _log_uniform,
    "q_uniform": _q_uniform,
    "q_log_uniform_values": _q_log_uniform_values,
    "q_log_uniform": _q_log_uniform,
}
