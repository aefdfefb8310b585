"""A Hydra config read with OmegaConf, the library Hydra composes configs with.

Interpolations between keys (``${constants.seed}``, relative ``${..x}``, nested ones) resolve
from the file and the sweeper's own defaults, as Hydra resolves them. What depends on where or
when the import runs (``${oc.env:...}``, Hydra's runtime ``${hydra:...}``, ``${now:...}``) or
on code the importer does not have (a custom resolver) is refused, naming the file and the key,
unless the user gives the key's value (``--set key=value``). A ``${...}`` never survives as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sweeps.importers.base import UnsupportedConstruct, _Yaml12Loader

# OmegaConf's own resolvers that give the same value wherever the import runs.
PURE_RESOLVERS = frozenset(
    {"oc.select", "oc.decode", "oc.create", "oc.dict.keys", "oc.dict.values"}
)
_RESOLVER = re.compile(r"(?<!\\)\$\{\s*([A-Za-z_][\w.]*)\s*:")
_WHY = {
    "oc.env": "reads an environment variable where the import runs, not where trials run",
    "hydra": "is Hydra's runtime state, which exists only inside a Hydra run",
    "now": "is the time of a Hydra run",
}


class HydraConfig:
    """The composed config; :meth:`get` resolves one key or refuses it."""

    def __init__(self, source: Path, config: DictConfig, unresolvable: dict[str, str]) -> None:
        self.source, self.config, self.unresolvable = source, config, unresolvable

    def get(self, key: str, default: Any = None) -> Any:
        """The resolved value at dotted ``key`` (containers as plain dicts/lists)."""
        *path, name = key.split(".")
        parent: Any = self.config
        for part in path:
            if not _has(parent, part):
                return default
            parent = parent[part]
        if not _has(parent, name):
            return default
        return self._resolved(parent, name, key)

    def _resolved(self, parent: DictConfig, name: str, label: str) -> Any:
        """``parent[name]`` resolved; a mapping key by key, so an error names the innermost."""
        raw = _raw_child(parent, name)
        if isinstance(raw, dict):
            child = parent[name]
            return {str(k): self._resolved(child, str(k), f"{label}.{k}") for k in raw}
        try:
            value = parent[name]
            if OmegaConf.is_config(value):
                return OmegaConf.to_container(value, resolve=True, throw_on_missing=True)
            return value
        except OmegaConfBaseException as err:
            raise UnsupportedConstruct(
                self.source, label, raw, self._why(label, err) + f"; pass --set {label}=VALUE"
            ) from None

    def raw(self, key: str) -> Any:
        """The value at ``key`` without resolving anything (for notes); None if absent."""
        raw = _raw(self.config, key)
        return None if raw is _ABSENT else raw

    def _why(self, key: str, err: OmegaConfBaseException) -> str:
        for bad, why in self.unresolvable.items():
            reached = f"Missing mandatory value: {bad}" in str(err)  # through another key
            if bad == key or bad.startswith(key + ".") or reached:
                return f"cannot be resolved: {bad} {why}"
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        return f"cannot be resolved: {message}"


_ABSENT = object()


def _has(node: Any, name: str) -> bool:
    """Whether a mapping node has ``name``, even as ``???`` (which ``in`` does not count)."""
    return isinstance(node, DictConfig) and name in list(node.keys())


def _raw_child(parent: DictConfig, name: str) -> Any:
    data: Any = OmegaConf.to_container(parent, resolve=False)
    return data[name]


def load(source: Path) -> tuple[DictConfig, Any]:
    """The file as OmegaConf reads it, without its defaults list; and that list."""
    try:
        loaded = OmegaConf.load(source)
    except OSError as err:
        raise UnsupportedConstruct(source, "", "<file>", f"cannot read: {err.strerror}") from None
    except (yaml.YAMLError, OmegaConfBaseException) as err:
        why = " ".join(str(err).split())
        raise UnsupportedConstruct(source, "", "<file>", f"not a valid config: {why}") from None
    if not isinstance(loaded, DictConfig):
        raise UnsupportedConstruct(source, "", "<list>", "a Hydra config is a mapping")
    defaults: Any = []
    if "defaults" in loaded:
        node = loaded["defaults"]
        defaults = (
            OmegaConf.to_container(node, resolve=False) if OmegaConf.is_config(node) else node
        )
        del loaded["defaults"]
    return loaded, defaults


def compose(
    source: Path, loaded: DictConfig, defaults: Mapping[str, Any], settings: Mapping[str, str]
) -> HydraConfig:
    """The file over the sweeper's ``defaults`` (Hydra merges those first), with values that
    cannot be resolved marked and the user's ``settings`` applied."""
    try:
        merged = OmegaConf.merge(OmegaConf.create(dict(defaults)), loaded)
    except OmegaConfBaseException as err:
        why = " ".join(str(err).split())
        raise UnsupportedConstruct(source, "hydra", "<mapping>", f"cannot compose: {why}") from None
    assert isinstance(merged, DictConfig)
    unresolvable = _mark_unresolvable(merged)
    for key, text in settings.items():
        OmegaConf.update(merged, key, _setting(source, key, text), force_add=True)
        unresolvable.pop(key, None)
    return HydraConfig(source, merged, unresolvable)


def _setting(source: Path, key: str, text: str) -> Any:
    """A ``--set`` value read as YAML 1.2 reads a scalar (``1e-5`` a float)."""
    try:
        value = yaml.load(text, Loader=_Yaml12Loader)
    except yaml.YAMLError:
        value = text
    if isinstance(value, str) and "${" in value:
        raise UnsupportedConstruct(source, f"--set {key}", text, "give a value, not a ${...}")
    return value


def _mark_unresolvable(config: DictConfig) -> dict[str, str]:
    """Replace every value that calls a resolver which is not pure by ``???`` (missing), so
    that nothing reads it; the reason per dotted key."""
    found: dict[str, str] = {}
    for path, text in _strings(OmegaConf.to_container(config, resolve=False), []):
        for name in _RESOLVER.findall(text):
            if name in PURE_RESOLVERS:
                continue
            why = _WHY.get(name, "is a custom resolver, code the importer does not have")
            found[".".join(map(str, path))] = f"= {text!r}: ${{{name!s}:...}} {why}"
            parent: Any = config
            for part in path[:-1]:
                parent = parent[part]
            parent[path[-1]] = "???"
            break
    return found


def _strings(node: Any, path: list[Any]) -> list[tuple[list[Any], str]]:
    """Every ``(path, text)`` whose text holds a ``${``."""
    out: list[tuple[list[Any], str]] = []
    items = list(node.items() if isinstance(node, dict) else enumerate(node))
    for name, value in items:
        if isinstance(value, dict | list):
            out += _strings(value, [*path, name])
        elif isinstance(value, str) and "${" in value:
            out.append(([*path, name], value))
    return out


def _raw(config: DictConfig, key: str) -> Any:
    node: Any = OmegaConf.to_container(config, resolve=False)
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return _ABSENT
        node = node[part]
    return node
