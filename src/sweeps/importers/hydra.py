"""Hydra Optuna sweeper configs (``override hydra/sweeper: optuna``) as sweep files.

The config is read with OmegaConf over the sweeper's own defaults (:mod:`.hydra_config`), its
defaults list as Hydra reads it (:mod:`.hydra_defaults`), the search space as the sweeper reads
Hydra's override grammar (:mod:`.hydra_grammar`, :mod:`.hydra_functions`,
:mod:`.hydra_space`) and the sampler with every argument accounted for (:mod:`.hydra_sampler`).
Every key of the file is used, noted or refused; a difference from what the sweeper does is
noted and written into the sweep's description. ``custom_search_space`` (Python) is never run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from sweeps.importers.base import Imported, ImportOptions, UnsupportedConstruct, study_name
from sweeps.importers.hydra_config import HydraConfig, compose, load
from sweeps.importers.hydra_defaults import read_defaults
from sweeps.importers.hydra_grammar import GrammarError, parse
from sweeps.importers.hydra_sampler import group_fields, to_sampler
from sweeps.importers.hydra_space import Param, grid_values, to_param

SWEEPER = "hydra.sweeper"
OPTUNA_TARGET = "hydra_plugins.hydra_optuna_sweeper.optuna_sweeper.OptunaSweeper"
# OptunaSweeperConf's fields and defaults (hydra-optuna-sweeper).
SWEEPER_FIELDS: dict[str, Any] = {
    "_target_": OPTUNA_TARGET,
    "direction": "minimize",
    "storage": None,
    "study_name": None,
    "n_trials": 20,
    "n_jobs": 2,
    "max_failure_rate": 0.0,
    "params": None,
    "custom_search_space": None,
}
_REFUSED_SWEEPER_KEYS = {
    "custom_search_space": "a search space defined in Python is not supported (it is never "
    "executed); write its parameters under params",
    "search_space": "the deprecated search_space form; write the parameters under params",
    "pruner": "a pruner set through the sweeper config is not supported; set pruner in the "
    "sweep file",
}
# Hydra's own settings beside the sweeper: none has a counterpart in a sweep file.
_HYDRA_KEYS = {
    "launcher": "trials run through the sweep's dispatch (local or Slurm), not Hydra's launcher",
    "run": "Hydra's single-run output folder; trials write under the sweep's folders",
    "sweep": "Hydra's multirun output folder; trials write under the sweep's folders",
    "job": "Hydra's job settings, applied by the app itself when it runs",
    "job_logging": "the app's logging, set up by Hydra when the app runs",
    "hydra_logging": "Hydra's own logging",
    "callbacks": "Hydra callbacks run only inside Hydra's multirun",
}


def is_hydra(data: dict[str, Any]) -> bool:
    """Whether a mapping looks like a Hydra config with an Optuna sweeper."""
    return isinstance(data.get("hydra"), dict) or "defaults" in data


def convert(data: dict[str, Any], source: Path, options: ImportOptions) -> Imported:
    """The sweep mapping for a Hydra config whose sweeper is Optuna's."""
    loaded, entries = load(source)
    defaults = read_defaults(source, entries)
    raw = _container(loaded)
    hydra = raw.get("hydra")
    sweeper_raw = hydra.get("sweeper") if isinstance(hydra, dict) else None
    if not isinstance(sweeper_raw, dict):
        raise UnsupportedConstruct(source, SWEEPER, sweeper_raw, "no sweeper settings")
    if defaults.sweeper != "optuna" and sweeper_raw.get("_target_") != OPTUNA_TARGET:
        raise UnsupportedConstruct(
            source,
            "defaults",
            defaults.sweeper,
            "not the Optuna sweeper (override hydra/sweeper: optuna)",
        )
    base = {"hydra": {"sweeper": {**SWEEPER_FIELDS, "sampler": group_fields(defaults.sampler)}}}
    config = compose(source, loaded, base, dict(options.settings))
    notes, approximations = list(defaults.notes), list[str]()
    notes += [f"--set {key}={value}: given on the command line" for key, value in options.settings]
    for key in sweeper_raw:
        notes += _check_sweeper_key(source, config, str(key))
    if config.get(f"{SWEEPER}._target_") != OPTUNA_TARGET:
        raise UnsupportedConstruct(
            source,
            f"{SWEEPER}._target_",
            config.raw(f"{SWEEPER}._target_"),
            "not the Optuna sweeper",
        )
    sampler_config = config.get(f"{SWEEPER}.sampler") or {}
    if not isinstance(sampler_config, dict):
        raise UnsupportedConstruct(
            source, f"{SWEEPER}.sampler", sampler_config, "a mapping of sampler arguments"
        )
    sampler = to_sampler(source, defaults.sampler, sampler_config)
    notes += sampler.notes
    params = _params(source, config, notes, approximations)
    directions = _directions(source, config.get(f"{SWEEPER}.direction"))
    n_trials = _positive(source, config, "n_trials")
    if sampler.spec["name"] == "GridSampler":
        n_trials = _grid(source, params, n_trials, notes)
    if options.n_trials:
        notes.append(f"{SWEEPER}.n_trials: {n_trials} replaced by --n-trials {options.n_trials}")
    n_jobs = _positive(source, config, "n_jobs")
    if n_jobs > 1:  # one at a time is the same either way
        approximations.append(
            f"{SWEEPER}.n_jobs: {n_jobs}: the sweeper asks {n_jobs} trials and waits for all of "
            f"them before the next batch; here up to {n_jobs} run at once and a new one starts "
            "when one ends"
        )
    spec: dict[str, Any] = {
        "study": _study(source, config, notes, options.study),
        "description": _description(source, approximations),
        "objective": _objective(source, options),
        "directions": directions,
        "space": {name: param.spec for name, param in params.items()},
        "sampler": sampler.spec,
        "budget": {"n_trials": options.n_trials or n_trials},
        "parallelism": n_jobs,
    }
    notes += _other_keys(raw) + approximations
    return Imported(spec, notes)


def _check_sweeper_key(source: Path, config: HydraConfig, key: str) -> list[str]:
    """Refuse a sweeper key that cannot be carried over; a note for one that is left out."""
    full = f"{SWEEPER}.{key}"
    raw = config.raw(full)
    if key in _REFUSED_SWEEPER_KEYS:
        if config.get(full):
            raise UnsupportedConstruct(source, full, raw, _REFUSED_SWEEPER_KEYS[key])
        return [f"{full}: {raw!r}: not set, nothing to carry over"]
    if key not in SWEEPER_FIELDS and key != "sampler":
        raise UnsupportedConstruct(source, full, raw, "not a key of the Optuna sweeper")
    return _LEFT_OUT[key](raw) if key in _LEFT_OUT else []


def _params(
    source: Path, config: HydraConfig, notes: list[str], approximations: list[str]
) -> dict[str, Param]:
    params = config.get(f"{SWEEPER}.params")
    if not isinstance(params, dict) or not params:
        raise UnsupportedConstruct(source, f"{SWEEPER}.params", params, "no parameters")
    out = {}
    for name, value in params.items():
        key = f"{SWEEPER}.params.{name}"
        param = _param(source, key, value)
        notes += [f"{key}: {note}" for note in param.notes]
        approximations += [f"{key}: {difference}" for difference in param.differences]
        out[str(name)] = param
    return out


def _param(source: Path, key: str, value: Any) -> Param:
    """One ``params`` entry: the sweeper parses ``f"{name}={value}"`` with Hydra's grammar."""
    if isinstance(value, dict):
        raise UnsupportedConstruct(source, key, value, "a mapping is not a sweep or a value")
    text = value if isinstance(value, str) else str(value)  # the sweeper's f"{name}={value}"
    try:
        return to_param(parse(text))
    except GrammarError as err:
        raise UnsupportedConstruct(source, key, value, f"cannot parse: {err}") from None
    except ValueError as err:
        raise UnsupportedConstruct(source, key, value, str(err)) from None


def _grid(source: Path, params: dict[str, Param], n_trials: int, notes: list[str]) -> int:
    """GridSampler as the sweeper builds it: each parameter's grid, budget at most its size."""
    size = 1
    for name, param in params.items():
        try:
            values = grid_values(param)
        except ValueError as err:
            raise UnsupportedConstruct(
                source, f"{SWEEPER}.params.{name}", param.spec, str(err)
            ) from None
        if param.distribution is not None:
            notes.append(
                f"{SWEEPER}.params.{name}: the sweeper's grid of {param.spec} excludes the end "
                f"point, as here: {values}"
            )
        param.spec = {"type": "categorical", "choices": values}
        size *= len(values)
    if size < n_trials:
        notes.append(
            f"n_trials: {n_trials} lowered to the grid's size, {size}, as the sweeper does"
        )
    return min(n_trials, size)


def _directions(source: Path, direction: Any) -> list[str]:
    values = direction if isinstance(direction, list) else [direction]
    for value in values:
        if value not in ("minimize", "maximize"):
            raise UnsupportedConstruct(
                source, f"{SWEEPER}.direction", value, "must be minimize or maximize"
            )
    return [str(v) for v in values]


def _positive(source: Path, config: HydraConfig, name: str) -> int:
    key = f"{SWEEPER}.{name}"
    value = config.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise UnsupportedConstruct(source, key, config.raw(key), "must be a positive integer")
    return value


def _study(source: Path, config: HydraConfig, notes: list[str], chosen: str | None) -> str:
    name = config.get(f"{SWEEPER}.study_name")
    if chosen:
        if name is not None:
            notes.append(f"{SWEEPER}.study_name: {name!r} replaced by --study {chosen!r}")
        return chosen
    if name is None:
        notes.append(
            f"{SWEEPER}.study_name: not set (Optuna would make up a name); "
            f"named after the file, {study_name(source.stem)!r}"
        )
        return study_name(source.stem)
    if study_name(str(name)) != str(name):
        notes.append(f"{SWEEPER}.study_name: {name!r} written {study_name(str(name))!r}")
    return study_name(str(name))


_LEFT_OUT = {
    "storage": lambda raw: [
        f"{SWEEPER}.storage: {raw!r}: the sweep's own storage is used (every trial is "
        "recorded there)"
    ],
    "max_failure_rate": lambda raw: [
        f"{SWEEPER}.max_failure_rate: {raw!r}: not carried over (a failed trial is recorded "
        "as failed and never stops a sweep)"
    ],
}


def _other_keys(raw: dict[str, Any]) -> list[str]:
    """A note for every key of the file the sweep file has no place for."""
    notes = []
    app = [str(key) for key in raw if key != "hydra"]
    if app:
        notes.append(
            f"app config keys {', '.join(app)}: the app's own settings, read by the app; "
            "trials pass only the swept parameters as overrides, as the sweeper does"
        )
    for key, value in (raw.get("hydra") or {}).items():
        if key == "sweeper":
            continue
        why = _HYDRA_KEYS.get(str(key), "a Hydra setting with no counterpart in a sweep file")
        notes.append(f"hydra.{key}: {value!r}: not carried over: {why}")
    return notes


def _description(source: Path, approximations: list[str]) -> str:
    text = f"imported from Hydra Optuna sweeper config {source.name}"
    if approximations:
        text += ". Differences from the Hydra sweep: " + "; ".join(approximations)
    return text


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


def _container(loaded: Any) -> dict[str, Any]:
    data = OmegaConf.to_container(loaded, resolve=False)
    assert isinstance(data, dict)
    return {str(k): v for k, v in data.items()}
