"""Conditional parameters: ``when: {optimizer: sgd}`` draws a parameter only where the named
parameters took those values (a list: any of them). Parents are drawn first; a parameter whose
parent was not drawn is not drawn either."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class Conditional(Protocol):
    """A parameter of the sweep file, as far as conditions go."""

    when: dict[str, Any] | None


def allowed(value: Any) -> list[Any]:
    """The parent values a condition accepts (one value, or a list of them)."""
    return list(value) if isinstance(value, list) else [value]


def holds(param: Conditional, drawn: Mapping[str, Any]) -> bool:
    """Whether ``param`` is drawn, given the values ``drawn`` so far."""
    return all(
        parent in drawn and drawn[parent] in allowed(value)
        for parent, value in (param.when or {}).items()
    )


def drawing_order(space: Mapping[str, Conditional]) -> list[str]:
    """The parameters, parents before the parameters conditioned on them (file order
    otherwise); a ``ValueError`` naming the cycle where conditions form one."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "open":
            cycle = " -> ".join([*path[path.index(name) :], name])
            raise ValueError(f"space.{name}.when: the conditions form a cycle: {cycle}")
        state[name] = "open"
        for parent in space[name].when or {}:
            if parent in space:
                visit(parent, [*path, name])
        state[name] = "done"
        order.append(name)

    for name in space:
        visit(name, [])
    return order


def expected(space: Mapping[str, Conditional], params: Mapping[str, Any]) -> set[str]:
    """The names a trial with ``params`` should hold: each parameter whose conditions hold on
    the values of ``params`` (a parent it lacks holds no condition)."""
    names: set[str] = set()
    drawn: dict[str, Any] = {}
    for name in drawing_order(space):
        if holds(space[name], drawn):
            names.add(name)
            if name in params:
                drawn[name] = params[name]
    return names


def conditional_names(space: Mapping[str, Conditional]) -> set[str]:
    """The parameters that carry a condition."""
    return {name for name, param in space.items() if param.when}
