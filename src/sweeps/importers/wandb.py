"""W&B sweep configurations (``wandb sweep config.yaml``) as sweep files.

Methods: ``grid`` -> GridSampler, ``random`` -> RandomSampler, ``bayes`` -> GPSampler (both are
Gaussian-process Bayesian optimisation; the sequence of configurations is not W&B's).
Hyperband early termination -> WandbHyperbandPruner, W&B's own rule. Every key of the file is
used, noted or refused (docs/importing.md has the table).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from sweeps.importers.base import Imported, ImportOptions, UnsupportedConstruct, study_name
from sweeps.importers.wandb_params import parameter
from sweeps.spec.wandb_hyperband import WandbHyperbandPruner

_METHODS = {"grid": "GridSampler", "random": "RandomSampler", "bayes": "GPSampler"}
_RUN_KEYS = {"program", "command"}  # what a trial runs: carried over as a command objective
_USED = {"method", "metric", "parameters", "early_terminate", "run_cap", "name", "description"}
# Keys that say where W&B keeps or controls the sweep: noted, not carried over.
_NOTED = {
    "project": "the W&B project the runs are logged to",
    "entity": "the W&B entity the runs are logged to",
    "controller": "where W&B's controller runs; here the sweep's own controllers decide",
    "apiVersion": "the file's W&B version tag",
    "kind": "the file's W&B kind tag",
}
_REFUSED = {
    "job": "a W&B Launch job, not a script this sweep can run",
    "image_uri": "a W&B Launch container, not a script this sweep can run",
    "scheduler": "W&B Launch's sweep scheduler has no equivalent",
    "metrics": "several metrics need W&B's method: custom, which has no equivalent",
}
_METRIC_REFUSED = {
    "target": "stopping the sweep at a target value has no equivalent",
    "impute": "how W&B's bayes scores failed runs has no equivalent",
    "impute_while_running": "how W&B's bayes scores running runs has no equivalent",
}
_HYPERBAND_KEYS = {"type", "min_iter", "max_iter", "s", "eta", "strict"}


def convert(data: dict[str, Any], source: Path, options: ImportOptions) -> Imported:
    """The sweep mapping for a W&B sweep configuration."""
    notes: list[str] = []
    for key in data:
        if key in _REFUSED:
            raise UnsupportedConstruct(source, key, data[key], _REFUSED[key])
        if key not in _USED | _RUN_KEYS | set(_NOTED):
            raise UnsupportedConstruct(source, key, data[key], "not a W&B sweep key")
    for key in sorted(set(_NOTED) & set(data)):
        notes.append(f"{key}: {data[key]!r} is {_NOTED[key]}; not carried over")
    if options.study and "name" in data:
        notes.append(f"name: {data['name']!r} replaced by --study {options.study}")
    elif data.get("name") and study_name(str(data["name"])) != data["name"]:
        notes.append(f"name: {data['name']!r} -> study {study_name(str(data['name']))!r}")
    method = data.get("method")
    if method not in _METHODS:
        raise UnsupportedConstruct(
            source, "method", method, f"must be one of {', '.join(_METHODS)}"
        )
    parameters = data.get("parameters")
    if not isinstance(parameters, dict) or not parameters:
        raise UnsupportedConstruct(source, "parameters", parameters, "needs at least one parameter")
    space = {
        name: parameter(source, f"parameters.{name}", spec, method, notes)
        for name, spec in parameters.items()
    }
    spec: dict[str, Any] = {
        "study": options.study or study_name(str(data.get("name") or source.stem)),
        "description": _description(source, data),
        "objective": _objective(source, data, options, notes),
        "space": space,
        "sampler": {"name": _METHODS[method]},
    }
    if method == "bayes":
        notes.append(
            "method: approximate: bayes -> GPSampler (Gaussian-process BO; not W&B's sequence)"
        )
    spec.update(_metric(source, data.get("metric"), method))
    if "early_terminate" in data:
        spec["pruner"] = _hyperband(source, data["early_terminate"], "metric" in data, notes)
    spec["budget"] = {"n_trials": _n_trials(source, data, space, method, options, notes)}
    approximations = [note for note in notes if ": approximate" in note]
    if approximations:
        spec["description"] += "; " + "; ".join(approximations)
    return Imported(spec, notes)


def _description(source: Path, data: dict[str, Any]) -> str:
    """Where the sweep came from, with the file's own description."""
    text = f"imported from W&B sweep {source.name}"
    return f"{text}: {data['description']}" if data.get("description") else text


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
    if options.program and "program" in data:
        notes.append(f"program: {data['program']!r} replaced by --program {options.program}")
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
        if key in _METRIC_REFUSED:
            raise UnsupportedConstruct(source, f"metric.{key}", metric[key], _METRIC_REFUSED[key])
        if key not in {"name", "goal"}:
            raise UnsupportedConstruct(source, f"metric.{key}", metric[key], "not a W&B metric key")
    goal = metric.get("goal", "minimize")
    if goal not in ("minimize", "maximize"):
        raise UnsupportedConstruct(source, "metric.goal", goal, "must be minimize or maximize")
    return {"direction": goal, "metrics": [str(metric["name"])]}


def _n_trials(
    source: Path,
    data: dict[str, Any],
    space: dict[str, Any],
    method: str,
    options: ImportOptions,
    notes: list[str],
) -> int:
    if options.n_trials is not None:
        if "run_cap" in data:
            notes.append(f"run_cap: {data['run_cap']!r} replaced by --n-trials {options.n_trials}")
        return options.n_trials
    if "run_cap" in data:
        cap = data["run_cap"]
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
            raise UnsupportedConstruct(source, "run_cap", cap, "must be a positive integer")
        return cap
    if method == "grid":
        return math.prod(_grid_size(p) for p in space.values())
    raise UnsupportedConstruct(
        source, "run_cap", None, f"a {method} sweep without run_cap is unbounded; pass --n-trials"
    )


def _grid_size(param: dict[str, Any]) -> int:
    if param["type"] == "categorical":
        return len(param["choices"])
    return (param["high"] - param["low"]) // param.get("step", 1) + 1


def _hyperband(source: Path, rule: Any, has_metric: bool, notes: list[str]) -> dict[str, Any]:
    """W&B hyperband -> WandbHyperbandPruner with W&B's settings and defaults."""
    if not isinstance(rule, dict) or rule.get("type") != "hyperband":
        raise UnsupportedConstruct(source, "early_terminate", rule, "only type: hyperband")
    if not has_metric:
        raise UnsupportedConstruct(source, "metric", None, "hyperband needs a metric to judge")
    for key in sorted(set(rule) - _HYPERBAND_KEYS):
        notes.append(
            f"early_terminate.{key}: {rule[key]!r} is not a hyperband key; W&B drops it too"
        )
    args: dict[str, Any] = {"eta": rule.get("eta", 3), "strict": rule.get("strict", True)}
    if "max_iter" in rule:
        args |= {"max_iter": rule["max_iter"], "s": rule.get("s")}
        if "min_iter" in rule:
            notes.append(
                f"early_terminate.min_iter: {rule['min_iter']!r} unused: W&B uses max_iter"
            )
    elif "min_iter" in rule:
        args["min_iter"] = rule["min_iter"]
    try:
        bands = WandbHyperbandPruner(**args).bands
    except (TypeError, ValueError) as err:
        raise UnsupportedConstruct(source, "early_terminate", rule, str(err)) from None
    shown = ", ".join(map(str, bands[:4])) + (", ..." if len(bands) > 4 else "")
    notes.append(
        f"early_terminate: hyperband -> WandbHyperbandPruner, W&B's rule (exact): a running "
        f"trial's n-th reported value is W&B's n-th history row; bands at {shown}"
    )
    return {"name": "WandbHyperbandPruner", "args": args}
