"""The sweeper's sampler (``hydra.sweeper.sampler``) as an Optuna 5 sampler with its arguments.

The sampler group options and their config defaults are those of hydra-optuna-sweeper (1.2/1.3,
plus ``gp``/``qmc`` of its later releases). Hydra passes every field of the config to the
sampler; each argument is passed on, or equal to what Optuna 5 does without it (noted), or
refused by name. Defaults Optuna changed since (TPE's ``constant_liar``) are pinned.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna

from sweeps.importers.base import UnsupportedConstruct


@dataclass(frozen=True)
class SamplerConfig:
    """One option of the ``hydra/sweeper/sampler`` group."""

    target: str
    fields: dict[str, Any] = field(default_factory=dict)  # the sweeper's config defaults
    pinned: dict[str, Any] = field(default_factory=dict)  # not in the config; Optuna changed


_TPE = {
    "seed": None,
    "consider_prior": True,
    "prior_weight": 1.0,
    "consider_magic_clip": True,
    "consider_endpoints": False,
    "n_startup_trials": 10,
    "n_ei_candidates": 24,
    "multivariate": False,
    "warn_independent_sampling": True,
}
GROUP: dict[str, SamplerConfig] = {
    "tpe": SamplerConfig(
        "optuna.samplers.TPESampler", _TPE, {"group": False, "constant_liar": False}
    ),
    "random": SamplerConfig("optuna.samplers.RandomSampler", {"seed": None}),
    "cmaes": SamplerConfig(
        "optuna.samplers.CmaEsSampler",
        {
            "seed": None,
            "x0": None,
            "sigma0": None,
            "independent_sampler": None,
            "warn_independent_sampling": True,
            "consider_pruned_trials": False,
            "restart_strategy": None,
            "inc_popsize": 2,
            "use_separable_cma": False,
            "source_trials": None,
        },
    ),
    "nsgaii": SamplerConfig(
        "optuna.samplers.NSGAIISampler",
        {
            "seed": None,
            "population_size": 50,
            "mutation_prob": None,
            "crossover_prob": 0.9,
            "swapping_prob": 0.5,
            "constraints_func": None,
        },
    ),
    "motpe": SamplerConfig("optuna.samplers.MOTPESampler"),
    "grid": SamplerConfig("optuna.samplers.GridSampler", {"_partial_": True}),
    "qmc": SamplerConfig(
        "optuna.samplers.QMCSampler",
        {
            "seed": None,
            "qmc_type": "sobol",
            "scramble": False,
            "independent_sampler": None,
            "warn_asynchronous_seeding": True,
            "warn_independent_sampling": True,
        },
    ),
    "gp": SamplerConfig(
        "optuna.samplers.GPSampler",
        {
            "seed": None,
            "independent_sampler": None,
            "n_startup_trials": 10,
            "deterministic_objective": False,
            "constraints_func": None,
            "warn_independent_sampling": True,
        },
    ),
}
# ``_target_`` -> Optuna 5 class name; a target not here is refused.
TARGETS = {
    config.target: config.target.rpartition(".")[2]
    for name, config in GROUP.items()
    if name != "motpe"
}
_REMOVED = {
    "optuna.samplers.MOTPESampler": "MOTPESampler was removed in Optuna 4; TPESampler handles "
    "several objectives but is not the same algorithm",
}
# Arguments Optuna 5 accepts but no longer uses, with the one value its behaviour equals.
_FIXED = {
    ("TPESampler", "consider_prior"): True,
    ("CmaEsSampler", "restart_strategy"): None,
}
# Deprecated arguments Optuna 5 still honours: left out (no warning) when at their default.
_DEPRECATED_DEFAULTS = {
    ("TPESampler", "prior_weight"): 1.0,
    ("TPESampler", "consider_magic_clip"): True,
    ("TPESampler", "consider_endpoints"): False,
}
_UNSET = object()
_WARNINGS_ONLY = ("warn_independent_sampling", "warn_asynchronous_seeding")


@dataclass
class Sampler:
    """The sweep file's sampler block and the notes on its arguments."""

    spec: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def group_fields(option: str | None) -> dict[str, Any]:
    """The sampler config Hydra composes for a group option (``tpe`` when none is chosen)."""
    config = GROUP.get(option or "tpe")
    return {"_target_": config.target, **config.fields} if config else {}


def to_sampler(source: Path, option: str | None, config: dict[str, Any]) -> Sampler:
    """Map the composed ``hydra.sweeper.sampler`` config."""
    key = "hydra.sweeper.sampler"
    if option is not None and option not in GROUP:
        raise UnsupportedConstruct(
            source, "defaults.hydra/sweeper/sampler", option, f"known: {', '.join(GROUP)}"
        )
    fields = {"_target_", *GROUP[option or "tpe"].fields}
    for arg in config:
        if arg not in fields:  # the group's config is a dataclass: Hydra refuses other keys
            raise UnsupportedConstruct(
                source,
                f"{key}.{arg}",
                config[arg],
                f"not a field of the sweeper's {option or 'tpe'} sampler config (Hydra refuses it)",
            )
    target = str(config.get("_target_", ""))
    if target in _REMOVED:
        raise UnsupportedConstruct(source, f"{key}._target_", target, _REMOVED[target])
    if target not in TARGETS:
        raise UnsupportedConstruct(
            source,
            f"{key}._target_",
            target,
            f"not a sampler the importer knows: {sorted(TARGETS)}",
        )
    name = TARGETS[target]
    pinned = next((c.pinned for c in GROUP.values() if c.target == target), {})
    sampler = Sampler({"name": name, "args": dict(pinned)})
    if pinned:
        sampler.notes.append(
            f"sampler: {name} {pinned} pinned: the sweeper's config leaves them to Optuna, whose "
            "default then was False (Optuna 5 changed constant_liar to True)"
        )
    accepted = inspect.signature(getattr(optuna.samplers, name)).parameters
    for arg, value in config.items():
        if arg in ("_target_", "_partial_"):
            continue
        if arg == "seed":
            if value is not None:
                sampler.spec["seed"] = _int(source, f"{key}.seed", value)
            continue
        _argument(source, f"{key}.{arg}", name, arg, value, accepted, sampler)
    return sampler


def _argument(
    source: Path,
    key: str,
    name: str,
    arg: str,
    value: Any,
    accepted: Any,
    sampler: Sampler,
) -> None:
    if (name, arg) in _FIXED:
        if value is None or value == _FIXED[name, arg]:
            sampler.notes.append(f"{key}: {value!r}: what Optuna 5 always does; not passed")
            return
        raise UnsupportedConstruct(
            source, key, value, f"Optuna 5 fixes it to {_FIXED[name, arg]!r}"
        )
    if _DEPRECATED_DEFAULTS.get((name, arg), _UNSET) == value:
        sampler.notes.append(f"{key}: {value!r}: Optuna 5's default; not passed")
        return
    if arg in _WARNINGS_ONLY and arg in accepted:
        sampler.notes.append(
            f"{key}: {value!r}: only turns Optuna's warnings on or off; not passed"
        )
        return
    if name == "CmaEsSampler" and arg == "inc_popsize":
        sampler.notes.append(
            f"{key}: {value!r}: acts only with a restart_strategy, which Optuna 5 no longer "
            "has; not passed"
        )
        return
    if arg not in accepted:
        raise UnsupportedConstruct(source, key, value, f"not an argument of Optuna 5's {name}")
    default = accepted[arg].default
    if value is None and default is None:
        return  # Hydra passes None, Optuna's own default
    if isinstance(value, dict | list) and not _plain(value):
        raise UnsupportedConstruct(
            source, key, value, "an object-valued argument (a class or callable) is not supported"
        )
    sampler.spec["args"][arg] = value


def _plain(value: Any) -> bool:
    if isinstance(value, dict):
        return "_target_" not in value and all(_plain(v) for v in value.values())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return isinstance(value, bool | int | float | str) or value is None


def _int(source: Path, key: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise UnsupportedConstruct(source, key, value, "must be an integer")
