"""Hydra Optuna sweeper configs (``hydra/sweeper: optuna``) as sweep files.

Search spaces follow the Optuna sweeper's own reading of Hydra's override grammar
(hydra_plugins.hydra_optuna_sweeper): ``choice`` -> categorical; ``range(a, b, step)`` -> a
stepped int/float distribution *including* ``b``; ``interval(a, b)`` -> a float (Hydra makes
interval bounds floats; ``int(...)`` casts); ``tag(log, ...)`` -> log scale. Plain values are
fixed parameters (one-choice categoricals). ``custom_search_space`` (Python) is never run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sweeps.importers.base import Imported, ImportOptions, UnsupportedConstruct, study_name
from sweeps.importers.hydra_grammar import Call, GrammarError, parse

_SAMPLERS = {
    "tpe": "TPESampler",
    "random": "RandomSampler",
    "cmaes": "CmaEsSampler",
    "nsgaii": "NSGAIISampler",
    "qmc": "QMCSampler",
    "grid": "GridSampler",
}
# The sampler arguments the sweeper's configs set (hydra-optuna-sweeper 1.2), pinned so that
# Optuna 5's changed defaults (multivariate and constant_liar TPE) do not leak in. TPE's
# consider_prior/prior_weight/consider_magic_clip/consider_endpoints equal Optuna 5's fixed values.
_PINNED_ARGS: dict[str, dict[str, Any]] = {
    "TPESampler": {
        "n_startup_trials": 10,
        "n_ei_candidates": 24,
        "multivariate": False,
        "group": False,
        "constant_liar": False,
    },
    "NSGAIISampler": {"population_size": 50, "crossover_prob": 0.9, "swapping_prob": 0.5},
    "CmaEsSampler": {"n_startup_trials": 1, "consider_pruned_trials": False, "inc_popsize": 2},
}
_SWEEPER_KEYS = {
    "_target_",
    "sampler",
    "direction",
    "study_name",
    "storage",
    "n_trials",
    "n_jobs",
    "max_failure_rate",
    "params",
    "search_space",
    "custom_search_space",
}
_SAMPLER_KEYS = {"_target_", "seed"}


def is_hydra(data: dict[str, Any]) -> bool:
    """Whether a mapping looks like a Hydra config with an Optuna sweeper."""
    return isinstance(data.get("hydra"), dict) or "defaults" in data


def convert(data: dict[str, Any], source: Path, options: ImportOptions) -> Imported:
    """The sweep mapping for a Hydra config whose sweeper is Optuna's."""
    defaults = _defaults(source, data.get("defaults", []))
    sweeper = (data.get("hydra") or {}).get("sweeper")
    if not isinstance(sweeper, dict):
        raise UnsupportedConstruct(source, "hydra.sweeper", sweeper, "no sweeper settings")
    if defaults.get("hydra/sweeper") != "optuna" and "optuna" not in str(sweeper.get("_target_")):
        raise UnsupportedConstruct(
            source,
            "defaults",
            defaults.get("hydra/sweeper"),
            "not the Optuna sweeper (override hydra/sweeper: optuna)",
        )
    for key in sweeper:
        if key not in _SWEEPER_KEYS:
            raise UnsupportedConstruct(source, f"hydra.sweeper.{key}", sweeper[key], "unknown key")
    if sweeper.get("custom_search_space"):
        raise UnsupportedConstruct(
            source,
            "hydra.sweeper.custom_search_space",
            sweeper["custom_search_space"],
            "a search space defined in Python is not supported (it is never executed); "
            "write its parameters under params",
        )
    if sweeper.get("search_space"):
        raise UnsupportedConstruct(
            source,
            "hydra.sweeper.search_space",
            "<mapping>",
            "the deprecated search_space form; write the parameters under params",
        )
    notes: list[str] = []
    params = sweeper.get("params") or {}
    if not isinstance(params, dict) or not params:
        raise UnsupportedConstruct(source, "hydra.sweeper.params", params, "no parameters")
    space = {
        str(name): _param(source, f"hydra.sweeper.params.{name}", value)
        for name, value in params.items()
    }
    spec: dict[str, Any] = {
        "study": options.study or study_name(str(sweeper.get("study_name") or source.stem)),
        "description": f"imported from Hydra Optuna sweeper config {source.name}",
        "objective": _objective(source, options),
        "directions": _directions(source, sweeper.get("direction", "minimize")),
        "space": space,
        "sampler": _sampler(source, defaults, sweeper.get("sampler") or {}, notes),
        "budget": {"n_trials": options.n_trials or int(sweeper.get("n_trials", 20))},
        "parallelism": int(sweeper.get("n_jobs", 2)),
    }
    if sweeper.get("storage"):
        notes.append("storage: the sweep's own storage setting is used instead")
    if "max_failure_rate" in sweeper:
        notes.append(
            f"max_failure_rate: {sweeper['max_failure_rate']!r} not carried over "
            "(a failed trial never stops a sweep)"
        )
    return Imported(spec, notes)


def _objective(source: Path, options: ImportOptions) -> dict[str, Any]:
    """``--objective`` as a function, else the Hydra app (``--program``) run with the trial's
    parameters as ``key=value`` overrides, as the sweeper's multirun passes them."""
    if options.objective:
        return {"function": options.objective}
    if not options.program:
        raise UnsupportedConstruct(
            source,
            "--program",
            None,
            "a Hydra config does not name its app: pass --program APP.py (or --objective)",
        )
    return {
        "command": ["${interpreter}", "${program}", "${args_no_hyphens}"],
        "program": options.program,
    }


def _defaults(source: Path, entries: Any) -> dict[str, str]:
    """``override hydra/sweeper/sampler: tpe`` entries as {'hydra/sweeper/sampler': 'tpe'}."""
    if not isinstance(entries, list):
        raise UnsupportedConstruct(source, "defaults", entries, "must be a list")
    found: dict[str, str] = {}
    for entry in entries:
        if isinstance(entry, dict):
            for key, value in entry.items():
                found[str(key).removeprefix("override ").strip()] = str(value)
    return found


def _directions(source: Path, direction: Any) -> list[str]:
    values = direction if isinstance(direction, list) else [direction]
    for value in values:
        if value not in ("minimize", "maximize"):
            raise UnsupportedConstruct(
                source, "hydra.sweeper.direction", value, "must be minimize or maximize"
            )
    return list(values)


def _sampler(
    source: Path, defaults: dict[str, str], config: dict[str, Any], notes: list[str]
) -> dict[str, Any]:
    chosen = defaults.get("hydra/sweeper/sampler", "tpe")
    target = str(config.get("_target_", ""))
    name = target.rpartition(".")[2] if target.startswith("optuna.samplers.") else None
    if name is None:
        if chosen not in _SAMPLERS:
            raise UnsupportedConstruct(
                source,
                "defaults.hydra/sweeper/sampler",
                chosen,
                f"not available in Optuna 5; known: {', '.join(_SAMPLERS)}",
            )
        name = _SAMPLERS[chosen]
    args = dict(_PINNED_ARGS.get(name, {}))
    for key, value in config.items():
        if key in _SAMPLER_KEYS:
            continue
        if value is not None and not isinstance(value, dict | list):
            args[key] = value
        elif value is not None:
            raise UnsupportedConstruct(
                source, f"hydra.sweeper.sampler.{key}", value, "object-valued sampler argument"
            )
    notes.append(f"sampler: {name} with the sweeper's defaults pinned: {args}")
    sampler: dict[str, Any] = {"name": name, "args": args}
    if config.get("seed") is not None:
        sampler["seed"] = int(config["seed"])
    return sampler


def _param(source: Path, key: str, text: Any) -> dict[str, Any]:
    """One ``params`` entry, as the Optuna sweeper turns it into a distribution."""
    if not isinstance(text, str):
        return {"type": "categorical", "choices": [text]}
    try:
        value = parse(text)
    except GrammarError as err:
        raise UnsupportedConstruct(source, key, text, f"cannot parse: {err}") from None
    try:
        return _distribution(value, cast=None, log=False)
    except ValueError as err:
        raise UnsupportedConstruct(source, key, text, str(err)) from None


def _distribution(value: Any, cast: str | None, log: bool) -> dict[str, Any]:
    if not isinstance(value, Call):
        if isinstance(value, list):
            raise ValueError("a list value is not a sweep (use choice(...))")
        return {"type": "categorical", "choices": [value]}
    name, args = value.name, value.args
    if name in ("int", "float") and len(args) == 1 and not value.kwargs:
        return _distribution(args[0], cast=name, log=log)
    if name == "tag":
        tags = [a for a in args[:-1] if isinstance(a, str)]
        if len(tags) != len(args) - 1 or not args or value.kwargs:
            raise ValueError("tag(...) takes tag names then one sweep")
        return _distribution(args[-1], cast=cast, log=log or "log" in tags)
    if name == "choice":
        if value.kwargs or not args or any(isinstance(a, Call | list) for a in args):
            raise ValueError("choice(...) takes plain values")
        choices = [_cast(a, cast) for a in args] if cast else list(args)
        return {"type": "categorical", "choices": choices}
    if name == "interval":
        return _interval(args, value.kwargs, cast, log)
    if name == "range":
        return _range(args, value.kwargs, cast, log)
    if name == "shuffle":
        raise ValueError("shuffle(...) has no meaning for a sampler; drop it")
    raise ValueError(f"{name}(...) is not a sweep the Optuna sweeper supports")


def _interval(
    args: list[Any], kwargs: dict[str, Any], cast: str | None, log: bool
) -> dict[str, Any]:
    bounds = [*args, *(kwargs[k] for k in ("start", "end") if k in kwargs)]
    if len(bounds) != 2 or not all(_number(b) for b in bounds):
        raise ValueError("interval(start, end) takes two numbers")
    if cast == "int":  # Hydra's interval bounds are floats unless cast with int(...)
        low, high = int(bounds[0]), int(bounds[1])
        return {"type": "int", "low": low, "high": high, **({"log": True} if log else {})}
    low_f, high_f = float(bounds[0]), float(bounds[1])
    return {"type": "float", "low": low_f, "high": high_f, **({"log": True} if log else {})}


def _range(args: list[Any], kwargs: dict[str, Any], cast: str | None, log: bool) -> dict[str, Any]:
    names = ("start", "stop", "step")
    values = dict(zip(names, args, strict=False)) | kwargs
    if set(values) - set(names) or "stop" not in values or "start" not in values:
        raise ValueError("range(start, stop[, step]) takes numbers")
    if log:
        raise ValueError("tag(log, range(...)): Optuna cannot combine log and step")
    start, stop, step = values["start"], values["stop"], values.get("step", 1)
    if not all(_number(v) for v in (start, stop, step)) or step <= 0:
        raise ValueError("range(start, stop[, step]) takes numbers and a positive step")
    if cast:
        start, stop, step = (_cast(v, cast) for v in (start, stop, step))
    if all(isinstance(v, int) for v in (start, stop, step)):
        return {"type": "int", "low": start, "high": stop, "step": step}
    return {"type": "float", "low": float(start), "high": float(stop), "step": float(step)}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cast(value: Any, cast: str | None) -> Any:
    if cast == "int":
        return int(value)
    if cast == "float":
        return float(value)
    return value
