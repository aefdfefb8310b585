"""Check a sampler's or pruner's arguments against the types its constructor declares.

Optuna takes ``TPESampler(n_startup_trials="abc")`` without a word and fails only when it
samples; a sweep file's arguments are checked here, strictly (a YAML string is not an int),
against the annotations of the constructor. An annotation this cannot resolve is not checked.
"""

from __future__ import annotations

import collections.abc
import functools
import inspect
import sys
from typing import Any

import numpy as np
import optuna
from pydantic import ConfigDict, TypeAdapter, ValidationError

_NAMES: dict[str, Any] = {
    "Callable": collections.abc.Callable,
    "Mapping": collections.abc.Mapping,
    "Sequence": collections.abc.Sequence,
    "Iterable": collections.abc.Iterable,
    "FrozenTrial": optuna.trial.FrozenTrial,
    "Study": optuna.Study,
    "BaseDistribution": optuna.distributions.BaseDistribution,
    "np": np,
}
_STRICT = ConfigDict(arbitrary_types_allowed=True, strict=True)


def arg_type_problems(key: str, cls: type, args: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """Arguments whose value is not of the type ``cls`` declares, as (key, value, message)."""
    problems = []
    adapters = _adapters(cls)
    for name, value in args.items():
        adapter = adapters.get(name)
        if adapter is None:
            continue
        try:
            adapter.validate_python(value)
        except ValidationError as err:
            wanted = inspect.signature(cls).parameters[name].annotation
            detail = err.errors()[0]["msg"]
            problems.append((f"{key}.{name}", value, f"{cls.__name__} takes {wanted}: {detail}"))
    return problems


@functools.cache
def _adapters(cls: type) -> dict[str, TypeAdapter[Any]]:
    module = vars(sys.modules[cls.__module__])
    adapters = {}
    for param in inspect.signature(cls).parameters.values():
        annotation = param.annotation
        if annotation is inspect.Parameter.empty:
            continue
        try:
            if isinstance(annotation, str):
                annotation = eval(annotation, {**_NAMES, **module})
            adapters[param.name] = TypeAdapter(annotation, config=_STRICT)
        except Exception:  # an annotation that does not resolve here: left unchecked
            continue
    return adapters
