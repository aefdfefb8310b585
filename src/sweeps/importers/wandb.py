"""W&B sweep configurations (``wandb sweep config.yaml``) as sweep files.

Methods: ``grid`` -> GridSampler, ``random`` -> RandomSampler, ``bayes`` -> GPSampler (both are
Gaussian-process Bayesian optimisation; the sequence of configurations is not W&B's).
Hyperband early termination -> SuccessiveHalvingPruner with the same rungs (see
docs/reproducing.md).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from sweeps.importers.base import Imported, ImportOptions, UnsupportedConstruct, study_name

_METHODS = {"grid": "GridSampler", "random": "RandomSampler", "bayes": "GPSampler"}
# Top-level keys that say how W&B launches runs, not what a trial samples.
_LAUNCH_KEYS = {"program", "command", "project", "entity", "name", "description"}
_RUN_KEYS = {"program", "command"}  # what a trial runs: carried over as a command objective
_KNOWN_KEYS = _LAUNCH_KEYS | {"method", "metric", "parameters", "early_terminate", "run_cap"}
_SCALAR = (bool, int, float, str, type(None))
_DISTRIBUTIONS = {
    "constant",
    "categorical",
    "int_uniform",
    "uniform",
    "log_uniform_values",
    "log_uniform",
    "q_uniform",
    "q_log_uniform_values",
    "q_log_uniform",
}


def convert(data: dict[str, Any], source: Path, options: ImportOptions) -> Imported:
    """The sweep mapping for a W&B sweep configuration."""
    notes: list[str] = []
    for key in data:
        if key not in _KNOWN_KEYS:
            raise UnsupportedConstruct(source, key, data[key], "not a W&B sweep key we can map")
    for key in sorted((_LAUNCH_KEYS - _RUN_KEYS) & set(data)):
        notes.append(f"{key}: {data[key]!r} is how W&B launches runs; not carried over")
    method = data.get("method")
    if method not in _METHODS:
        raise UnsupportedConstruct(
            source, "method", method, f"must be one of {', '.join(_METHODS)}"
        )
    parameters = data.get("parameters")
    if not isinstance(parameters, dict) or not parameters:
        raise UnsupportedConstruct(source, "parameters", parameters, "needs at least one parameter")
    space = {
        name: _parameter(source, f"parameters.{name}", spec, method == "grid", notes)
        for name, spec in parameters.items()
    }
    spec: dict[str, Any] = {
        "study": options.study or study_name(str(data.get("name") or source.stem)),
        "description": f"imported from W&B sweep {source.name}",
        "objective": _objective(source, data, options, notes),
        "space": space,
        "sampler": {"name": _METHODS[method]},
    }
    if method == "bayes":
        notes.append("method: bayes -> GPSampler (Gaussian-process BO; not W&B's own sequence)")
    spec.update(_metric(source, data.get("metric"), method))
    if "early_terminate" in data:
        spec["pruner"] = _hyperband(source, data["early_terminate"], notes)
    spec["budget"] = {"n_trials": _n_trials(source, data, space, method, options)}
    return Imported(spec, notes)


def _objective(
    source: Path, data: dict[str, Any], options: ImportOptions, notes: list[str]
) -> dict[str, Any]:
    """``--objective`` as a function; else the sweep's own ``program``/``command``, which run
    as W&B's agent runs them (the same macros, W&B's default command without one)."""
    if options.objective:
        for key in sorted(_RUN_KEYS & set(data)):
            notes.append(f"{key}: {data[key]!r} replaced by the objective {options.objective}")
        return {"function": options.objective}
    program = options.program or data.get("program")
    command = data.get("command")
    if program is None and command is None:
        raise UnsupportedConstruct(
            source, "program", None, "names no script to run; pass --program or --objective"
        )
    objective: dict[str, Any] = {}
    if command is not None:
        if not isinstance(command, list) or not command:
            raise UnsupportedConstruct(source, "command", command, "must be a non-empty list")
        objective["command"] = [str(word) for word in command]
    if program is not None:
        objective["program"] = str(program).strip()
    return objective


def _metric(source: Path, metric: Any, method: str) -> dict[str, Any]:
    if metric is None:
        if method == "bayes":
            raise UnsupportedConstruct(source, "metric", None, "bayes needs a metric to optimise")
        return {"direction": "minimize"}
    if not isinstance(metric, dict) or "name" not in metric:
        raise UnsupportedConstruct(source, "metric", metric, "needs a 'name'")
    for key in metric:
        if key not in {"name", "goal"}:
            why = "stopping at a target value" if key == "target" else "unknown metric key"
            raise UnsupportedConstruct(
                source, f"metric.{key}", metric[key], f"{why}: no equivalent"
            )
    goal = metric.get("goal", "minimize")
    if goal not in ("minimize", "maximize"):
        raise UnsupportedConstruct(source, "metric.goal", goal, "must be minimize or maximize")
    return {"direction": goal, "metrics": [str(metric["name"])]}


def _n_trials(
    source: Path, data: dict[str, Any], space: dict[str, Any], method: str, options: ImportOptions
) -> int:
    if options.n_trials is not None:
        return options.n_trials
    if "run_cap" in data:
        return int(data["run_cap"])
    if method == "grid":
        return math.prod(_grid_size(p) for p in space.values())
    raise UnsupportedConstruct(
        source, "run_cap", None, f"a {method} sweep without run_cap is unbounded; pass --n-trials"
    )


def _grid_size(param: dict[str, Any]) -> int:
    if param["type"] == "categorical":
        return len(param["choices"])
    return (param["high"] - param["low"]) // param.get("step", 1) + 1


def _parameter(source: Path, key: str, spec: Any, grid: bool, notes: list[str]) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise UnsupportedConstruct(source, key, spec, "a parameter is a mapping")
    if "parameters" in spec:
        raise UnsupportedConstruct(source, f"{key}.parameters", "<nested>", "nested parameters")
    kind = spec.get("distribution") or _infer(source, key, spec)
    if kind not in _DISTRIBUTIONS:
        raise UnsupportedConstruct(
            source, f"{key}.distribution", kind, "Optuna has no equivalent distribution"
        )
    if grid and kind not in ("categorical", "constant", "int_uniform"):
        raise UnsupportedConstruct(
            source, f"{key}.distribution", kind, "a grid needs values, value or int_uniform"
        )
    if kind == "constant":
        return _choices(source, f"{key}.value", [_need(source, key, spec, "value")])
    if kind == "categorical":
        return _choices(source, f"{key}.values", _need(source, key, spec, "values"))
    low, high = _need(source, key, spec, "min"), _need(source, key, spec, "max")
    if kind == "int_uniform":
        return {"type": "int", "low": _int(source, key, low), "high": _int(source, key, high)}
    if kind == "uniform":
        return {"type": "float", "low": float(low), "high": float(high)}
    if kind == "log_uniform_values":
        return {"type": "float", "low": float(low), "high": float(high), "log": True}
    if kind == "log_uniform":  # legacy: bounds are natural logs of the values
        return {"type": "float", "low": math.exp(low), "high": math.exp(high), "log": True}
    if kind == "q_uniform":
        return _quantised(source, key, float(low), float(high), spec.get("q", 1), notes)
    if kind in ("q_log_uniform_values", "q_log_uniform"):
        return _q_log(source, key, kind, low, high, spec.get("q", 1), notes)
    raise AssertionError(kind)  # pragma: no cover - _DISTRIBUTIONS lists every branch


def _infer(source: Path, key: str, spec: dict[str, Any]) -> str:
    """W&B's inference when ``distribution`` is absent."""
    if "values" in spec:
        return "categorical"
    if "value" in spec:
        return "constant"
    if "min" in spec and "max" in spec:
        ints = all(
            isinstance(spec[k], int) and not isinstance(spec[k], bool) for k in ("min", "max")
        )
        return "int_uniform" if ints else "uniform"
    raise UnsupportedConstruct(
        source, key, spec, "cannot infer a distribution (needs values, value or min/max)"
    )


def _need(source: Path, key: str, spec: dict[str, Any], name: str) -> Any:
    if name not in spec:
        raise UnsupportedConstruct(source, f"{key}.{name}", "<missing>", "required here")
    return spec[name]


def _int(source: Path, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise UnsupportedConstruct(source, key, value, "int_uniform needs integer bounds")
    return int(value)


def _choices(source: Path, key: str, values: Any) -> dict[str, Any]:
    if not isinstance(values, list) or not values:
        raise UnsupportedConstruct(source, key, values, "needs a non-empty list")
    for value in values:
        if not isinstance(value, _SCALAR):
            raise UnsupportedConstruct(
                source, key, value, "only scalar choices (not lists or mappings)"
            )
    return {"type": "categorical", "choices": list(values)}


def _quantised(
    source: Path, key: str, low: float, high: float, q: float, notes: list[str]
) -> dict[str, Any]:
    """q_uniform: round(U(min, max) / q) * q, i.e. the multiples of q within [min, max]."""
    if q <= 0:
        raise UnsupportedConstruct(source, f"{key}.q", q, "must be positive")
    first, last = math.ceil(low / q - 1e-9), math.floor(high / q + 1e-9)
    notes.append(
        f"{key}: q_uniform -> the multiples of q in [min, max], each equally likely "
        "(W&B gives the two end points half weight)"
    )
    if float(q).is_integer() and float(low).is_integer() and float(high).is_integer():
        return {"type": "int", "low": int(first * q), "high": int(last * q), "step": int(q)}
    return {"type": "float", "low": first * q, "high": last * q, "step": q}


def _q_log(
    source: Path, key: str, kind: str, low: Any, high: Any, q: Any, notes: list[str]
) -> dict[str, Any]:
    if q != 1:
        raise UnsupportedConstruct(
            source, f"{key}.q", q, f"{kind} with q != 1: Optuna cannot combine log and step"
        )
    if kind == "q_log_uniform":
        low, high = math.exp(low), math.exp(high)
    notes.append(f"{key}: {kind} with q=1 -> a log-scaled int")
    return {
        "type": "int",
        "low": math.ceil(low - 1e-9),
        "high": math.floor(high + 1e-9),
        "log": True,
    }


def _hyperband(source: Path, rule: Any, notes: list[str]) -> dict[str, Any]:
    """W&B hyperband -> SuccessiveHalvingPruner with the same checkpoints."""
    if not isinstance(rule, dict) or rule.get("type") != "hyperband":
        raise UnsupportedConstruct(source, "early_terminate", rule, "only type: hyperband")
    for key in rule:
        if key not in {"type", "min_iter", "max_iter", "s", "eta"}:
            raise UnsupportedConstruct(
                source, f"early_terminate.{key}", rule[key], "no SuccessiveHalvingPruner equivalent"
            )
    eta = int(rule.get("eta", 3))
    if eta < 2:
        raise UnsupportedConstruct(source, "early_terminate.eta", eta, "must be at least 2")
    if "min_iter" in rule:  # W&B checks at min_iter * eta**k for every k: SHA's rungs
        checks = [int(rule["min_iter"])]
        tail = "and every further rung, as W&B does with min_iter"
    elif "max_iter" in rule and "s" in rule:  # W&B checks at int(max_iter / eta**k), k = s..1
        max_iter, s = int(rule["max_iter"]), int(rule["s"])
        checks = sorted({int(max_iter / eta**k) for k in range(1, s + 1)} - {0})
        if not checks or any(c != checks[0] * eta**i for i, c in enumerate(checks)):
            raise UnsupportedConstruct(
                source, "early_terminate", rule, f"checks at {checks} are not min * eta**k"
            )
        tail = f"its next rung ({checks[-1] * eta}) is where W&B's runs end (max_iter)"
    else:
        raise UnsupportedConstruct(
            source, "early_terminate", rule, "hyperband needs min_iter, or max_iter with s"
        )
    notes.append(
        f"early_terminate: hyperband checks at iterations {checks} -> SuccessiveHalvingPruner "
        f"(min_resource={checks[0]}, reduction_factor={eta}); report step = W&B iteration "
        f"(1, 2, ...); {tail}"
    )
    return {
        "name": "SuccessiveHalvingPruner",
        "args": {
            "min_resource": checks[0],
            "reduction_factor": eta,
            "min_early_stopping_rate": 0,
            "bootstrap_count": 0,
        },
    }
