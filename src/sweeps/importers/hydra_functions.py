"""Hydra's grammar functions (``hydra/_internal/grammar/grammar_functions.py``) applied to a
parsed override: ``choice``, ``range`` (``range(n)`` is ``range(0, n)``), ``interval`` (bounds
made floats), ``tag``, ``shuffle``, ``sort`` and the ``int``/``float``/``str``/``bool`` casts
build a :class:`Sweep`; what Hydra or the Optuna sweeper would refuse raises :class:`ValueError`
naming the function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sweeps.importers.hydra_grammar import Call, Quoted


@dataclass
class Sweep:
    """A parsed sweep: the Hydra object the grammar functions build, before the sweeper."""

    kind: str  # choice | range | interval
    values: list[Any] = field(default_factory=list)  # choice
    start: Any = None
    stop: Any = None
    step: Any = 1
    tags: set[str] = field(default_factory=set)
    shuffle: bool = False


def evaluate(value: Any) -> Any:
    """Apply Hydra's grammar functions to the parsed tree."""
    if not isinstance(value, Call):
        if isinstance(value, list):
            return [evaluate(v) for v in value]
        return value
    if value.name not in _FUNCTIONS:
        raise ValueError(_unsupported(value.name))
    args = [evaluate(a) for a in value.args]
    kwargs = {k: evaluate(v) for k, v in value.kwargs.items()}
    if value.simple:  # a,b,c: any values, null included
        return Sweep("choice", values=args)
    try:
        return _FUNCTIONS[value.name](*args, **kwargs)
    except TypeError as err:
        raise ValueError(f"{value.name}(...): {err}") from None


def _unsupported(name: str) -> str:
    why = _REFUSED.get(name, "not a function of Hydra's override grammar")
    return f"{name}(...) is not supported: {why}"


_REFUSED = {
    "glob": "it lists a config group's options from Hydra's search path, which the importer "
    "does not read; write choice(...) with the option names",
    "extend_list": "it appends to a list in the app's config, not a sweep",
    "json_str": "a sweep of JSON texts is not read by the importer",
}


def _choice_fn(*args: Any) -> Sweep:
    if not args:
        raise ValueError("choice() needs at least one value (Hydra refuses it)")
    if any(arg is None for arg in args):
        raise ValueError("choice(...) with null: Hydra's grammar refuses it (write null,a,b)")
    return Sweep("choice", values=list(args))


def _range_fn(start: Any, stop: Any = None, step: Any = 1) -> Sweep:
    if stop is None:
        start, stop = 0, start
    for bound in (start, stop, step):
        if not _number(bound):
            raise ValueError(f"range(...) takes numbers, not {bound!r}")
    if step <= 0 or start > stop:
        raise ValueError("range(...) descending: the sweeper's distribution needs start <= stop")
    return Sweep("range", start=start, stop=stop, step=step)


def _interval_fn(start: Any, end: Any) -> Sweep:
    if not (_number(start) and _number(end)):
        raise ValueError("interval(start, end) takes two numbers")
    return Sweep("interval", start=float(start), stop=float(end))


def _tag_fn(*args: Any, sweep: Any = None) -> Sweep:
    items = [*args, *([sweep] if sweep is not None else [])]
    if not items or not isinstance(items[-1], Sweep):
        raise ValueError("tag(...) takes tag names, then a sweep")
    if not all(isinstance(t, str) for t in items[:-1]):
        raise ValueError("tag(...) names must be strings")
    items[-1].tags = set(items[:-1])
    return items[-1]


def _shuffle_fn(*args: Any, **named: Any) -> Any:
    target = named.get("sweep", named.get("list"))
    if target is None:
        target = args[0] if len(args) == 1 else Sweep("choice", values=[*args])
    if isinstance(target, Sweep) and target.kind in ("choice", "range"):
        target.shuffle = True
        return target
    raise ValueError("shuffle(...) of a list or an interval is not a sweep the sweeper reads")


def _sort_fn(*args: Any, reverse: bool = False, **named: Any) -> Any:
    target = named.get("sweep", named.get("list"))
    if target is None:
        target = args[0] if len(args) == 1 else Sweep("choice", values=[*args])
    if isinstance(target, Sweep) and target.kind == "choice":
        target.values = sorted(target.values, reverse=reverse)
        return target
    if isinstance(target, Sweep) and target.kind == "range" and not reverse:
        return target
    raise ValueError("sort(...) here: only of a choice, or of a range in ascending order")


def _cast(function: Callable[[Any], Any], name: str) -> Callable[..., Any]:
    def cast(*args: Any, value: Any = None) -> Any:
        item = value if value is not None else (args[0] if len(args) == 1 else None)
        if item is None and len(args) > 1:
            item = Sweep("choice", values=[*args])
        return _apply_cast(item, function, name)

    return cast


def _apply_cast(item: Any, function: Callable[[Any], Any], name: str) -> Any:
    if isinstance(item, Sweep):
        if item.kind == "choice":
            item.values = [_apply_cast(v, function, name) for v in item.values]
        elif name in ("int", "float"):
            item.start, item.stop = function(item.start), function(item.stop)
            if item.kind == "range":
                item.step = function(item.step)
        else:
            raise ValueError(f"{name}(...) of a range or interval (Hydra refuses it)")
        return item
    if isinstance(item, list):
        return [_apply_cast(v, function, name) for v in item]
    if isinstance(item, dict):
        return {k: _apply_cast(v, function, name) for k, v in item.items()}
    return function(str(item) if isinstance(item, Quoted) else item)


def _to_bool(value: Any) -> bool:
    if isinstance(value, str):
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError(f"cannot cast {value!r} to bool")
    return bool(value)


def _to_str(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "choice": _choice_fn,
    "range": _range_fn,
    "interval": _interval_fn,
    "tag": _tag_fn,
    "shuffle": _shuffle_fn,
    "sort": _sort_fn,
    "int": _cast(int, "int"),
    "float": _cast(float, "float"),
    "str": _cast(_to_str, "str"),
    "bool": _cast(_to_bool, "bool"),
}
