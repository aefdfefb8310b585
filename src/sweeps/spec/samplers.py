"""Samplers and pruners: names checked, every argument resolved, objects built."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

import optuna

from sweeps.spec.arg_types import arg_type_problems
from sweeps.spec.model import PrunerSpec, SamplerSpec, SweepSpec
from sweeps.spec.seeds import derive_seed
from sweeps.spec.space import grid_search_space
from sweeps.spec.wandb_hyperband import WandbHyperbandPruner
from sweeps.spec.weighted import WEIGHTING_SAMPLERS, WeightedRandomSampler, choice_weights

# Arguments we fill in from the sweep itself rather than the file.
_DERIVED = {"seed", "search_space"}
# Pruners of the project, named in a sweep file as Optuna's are.
PROJECT_PRUNERS: dict[str, type[optuna.pruners.BasePruner]] = {
    "WandbHyperbandPruner": WandbHyperbandPruner,
}

SINGLE_OBJECTIVE_SAMPLERS = {"CmaEsSampler"}
"""Samplers Optuna refuses for a study of more than one objective."""


def _signature_defaults(cls: type) -> dict[str, Any]:
    params = inspect.signature(cls).parameters
    return {
        name: (None if p.default is inspect.Parameter.empty else p.default)
        for name, p in params.items()
        if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    }


def _lookup_class(module: Any, name: str, base: type) -> type | None:
    cls = getattr(module, name, None)
    if isinstance(cls, type) and issubclass(cls, base):
        return cls
    return None


def _known(module: Any, base: type) -> list[str]:
    return sorted(n for n in dir(module) if _lookup_class(module, n, base) is not None)


def check_sampler_section(sampler: SamplerSpec) -> list[tuple[str, Any, str]]:
    """Problems the sampler section has on its own (its name, its arguments' names and types),
    as (key, value, message): checked even where other parts of the file are invalid."""
    cls = _lookup_class(optuna.samplers, sampler.name, optuna.samplers.BaseSampler)
    if cls is None:
        known = ", ".join(_known(optuna.samplers, optuna.samplers.BaseSampler))
        return [("sampler.name", sampler.name, f"not an Optuna sampler; known: {known}")]
    return _check_args("sampler.args", cls, sampler.args)


def check_pruner_section(pruner: PrunerSpec) -> list[tuple[str, Any, str]]:
    """Problems the pruner section has on its own (its name, its arguments' names and types),
    as (key, value, message): checked even where other parts of the file are invalid."""
    cls = pruner_class(pruner.name)
    if cls is None:
        known = ", ".join(
            sorted(_known(optuna.pruners, optuna.pruners.BasePruner) + list(PROJECT_PRUNERS))
        )
        return [("pruner.name", pruner.name, f"not a pruner; known: {known}")]
    return _check_args("pruner.args", cls, pruner.args)


def check_sampler(spec: SweepSpec) -> list[tuple[str, Any, str]]:
    """Problems with the sampler section, as (key, value, message)."""
    cls = _lookup_class(optuna.samplers, spec.sampler.name, optuna.samplers.BaseSampler)
    problems = check_sampler_section(spec.sampler)
    if cls is None:
        return problems
    if spec.multi_objective and spec.sampler.name in SINGLE_OBJECTIVE_SAMPLERS:
        problems.append(
            (
                "sampler.name",
                spec.sampler.name,
                f"optimises a single objective; this sweep has {len(spec.directions)} "
                "(use NSGAIISampler or TPESampler)",
            )
        )
    if spec.sampler.name not in WEIGHTING_SAMPLERS:
        problems += [
            (
                f"space.{name}.weights",
                weights,
                f"{spec.sampler.name} would ignore them; only "
                f"{', '.join(sorted(WEIGHTING_SAMPLERS))} draws choices by weight",
            )
            for name, weights in choice_weights(spec).items()
        ]
    if "search_space" in _signature_defaults(cls):
        try:
            grid_search_space(spec)
        except ValueError as err:
            problems.append(("sampler.name", spec.sampler.name, str(err)))
    if problems:
        return problems
    return _check_values(
        "sampler.args",
        spec.sampler.args,
        lambda args: build_sampler(spec.model_copy(update={"sampler": _with_args(spec, args)})),
    )


def check_pruner(spec: SweepSpec) -> list[tuple[str, Any, str]]:
    """Problems with the pruner section, as (key, value, message)."""
    cls = pruner_class(spec.pruner.name)
    problems = check_pruner_section(spec.pruner)
    if cls is None:
        return problems
    if spec.multi_objective and spec.pruner.name != "NopPruner":
        problems.append(
            (
                "pruner.name",
                spec.pruner.name,
                f"pruning needs a single objective; this sweep has {len(spec.directions)} "
                "(use NopPruner)",
            )
        )
    if problems:
        return problems
    return _check_values("pruner.args", spec.pruner.args, lambda args: cls(**args))


def pruner_class(name: str) -> type[optuna.pruners.BasePruner] | None:
    """The pruner class a sweep file names: the project's own, else Optuna's."""
    if name in PROJECT_PRUNERS:
        return PROJECT_PRUNERS[name]
    return _lookup_class(optuna.pruners, name, optuna.pruners.BasePruner)


def _with_args(spec: SweepSpec, args: dict[str, Any]) -> Any:
    return spec.sampler.model_copy(update={"args": args})


def _check_values(
    key: str, args: dict[str, Any], build: Callable[[dict[str, Any]], object]
) -> list[tuple[str, Any, str]]:
    """Build the sampler or pruner as the study will, so a bad value fails here, not there.

    A count (an argument named ``n_*``) may not be negative, even where Optuna lets it pass.
    A failing build is tried once per argument to name the one at fault.
    """
    problems = [
        (f"{key}.{name}", value, "a count cannot be negative")
        for name, value in args.items()
        if name.startswith("n_") and isinstance(value, int | float) and value < 0
    ]
    if problems or _build_error(build, args) is None:
        return problems
    for name, value in args.items():
        reason = _build_error(build, {name: value})
        if reason is not None:
            problems.append((f"{key}.{name}", value, reason))
    return problems or [(key, args, str(_build_error(build, args)))]


def _build_error(build: Callable[[dict[str, Any]], object], args: dict[str, Any]) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # experimental-feature notices belong to the run
            build(args)
    except ImportError:
        return None  # a missing optional package is the controller host's concern
    except Exception as err:  # any refusal by Optuna is a problem of the file
        return f"Optuna refuses it: {err}"
    return None


def _check_args(key: str, cls: type, args: dict[str, Any]) -> list[tuple[str, Any, str]]:
    defaults = _signature_defaults(cls)
    problems = []
    for name, value in args.items():
        if name in _DERIVED:
            problems.append((f"{key}.{name}", value, f"set by the sweep, not here ({name})"))
        elif name not in defaults:
            allowed = ", ".join(sorted(set(defaults) - _DERIVED))
            problems.append(
                (
                    f"{key}.{name}",
                    value,
                    f"{cls.__name__} takes no such argument; it takes: {allowed}",
                )
            )
    known = {name: value for name, value in args.items() if name in defaults}
    return problems + arg_type_problems(key, cls, known)


def describe_value(value: Any) -> Any:
    """A JSON-able description of an argument value (callables by qualified name)."""
    if callable(value):
        return f"<{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', value)}>"
    return value


def resolved_sampler_args(spec: SweepSpec) -> dict[str, Any]:
    """Every argument the sampler is built with, defaults made explicit."""
    cls = getattr(optuna.samplers, spec.sampler.name)
    args = _signature_defaults(cls) | spec.sampler.args
    if "seed" in args:
        args["seed"] = spec.sampler_seed
    if "search_space" in args:
        args["search_space"] = grid_search_space(spec)
    return {name: describe_value(value) for name, value in sorted(args.items())}


def resolved_pruner_args(spec: SweepSpec) -> dict[str, Any]:
    """Every argument the pruner is built with, defaults made explicit."""
    cls = _pruner(spec.pruner.name)
    args = _signature_defaults(cls) | spec.pruner.args
    return {name: describe_value(value) for name, value in sorted(args.items())}


def unpinned_sampler_args(spec: SweepSpec) -> list[str]:
    """Sampler arguments the file could pin but leaves to the installed Optuna's defaults."""
    cls = getattr(optuna.samplers, spec.sampler.name)
    params = inspect.signature(cls).parameters
    pinnable = {n for n, p in params.items() if "Callable" not in str(p.annotation)}
    return sorted(pinnable & set(_signature_defaults(cls)) - set(spec.sampler.args) - _DERIVED)


def build_sampler(spec: SweepSpec, stream: int | None = None) -> optuna.samplers.BaseSampler:
    """The sampler the sweep pins.

    Each trial slot samples in its own process; ``stream`` (the slot) gives each its own seed
    derived from the sweep's, so parallel slots never draw identical configurations.
    """
    cls = getattr(optuna.samplers, spec.sampler.name)
    args = dict(spec.sampler.args)
    params = _signature_defaults(cls)
    if "seed" in params:
        seed = spec.sampler_seed
        # GridSampler maps trial numbers to grid points through its seeded shuffle: every
        # process must share one seed for that mapping to agree.
        shared = stream is None or cls is optuna.samplers.GridSampler
        args["seed"] = seed if shared or stream is None else derive_seed(seed, stream)
    if "search_space" in params:
        args["search_space"] = grid_search_space(spec)
    if cls is optuna.samplers.GridSampler:
        cls = _GridSampler
    weights = choice_weights(spec)
    if weights and cls is optuna.samplers.RandomSampler:
        return WeightedRandomSampler(weights, **args)
    sampler: optuna.samplers.BaseSampler = cls(**args)
    return sampler


class _GridSampler(optuna.samplers.GridSampler):
    """GridSampler for ask/tell: the sweep's budget ends it, not ``study.stop()``.

    Optuna's GridSampler calls ``study.stop()`` after the last grid point, which raises
    outside ``Study.optimize``; our controllers tell trials from their own processes.
    """

    def after_trial(self, *args: Any, **kwargs: Any) -> None:
        return None


def build_pruner(spec: SweepSpec) -> optuna.pruners.BasePruner:
    """The pruner the sweep pins."""
    return _pruner(spec.pruner.name)(**spec.pruner.args)


def _pruner(name: str) -> type[optuna.pruners.BasePruner]:
    cls = pruner_class(name)
    if cls is None:
        raise ValueError(f"pruner.name: {name!r} is not a pruner")
    return cls
