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
        raw = _raw(self.config, key)
        if raw is _ABSENT:
            return default
        if isinstance(raw, dict):  # key by key, so that an error names the innermost key
            return {name: self.get(f"{key}.{name}") for name in raw}
        try:
            value = OmegaConf.select(self.config, key, throw_on_missing=True)
            if OmegaConf.is_config(value):
                return OmegaConf.to_container(value, resolve=True, throw_on_missing=True)
            return value
        except OmegaConfBaseException as err:
            raise UnsupportedConstruct(
                self.source, key, raw, self._why(key, err) + f"; pass --set {key}=VALUE"
            ) from None

    def raw(self, key: str) -> Any:
        """The value at ``key`` without resolving anything (for notes); None if absent."""
        raw = _raw(self.config, key)
        return None if raw is _ABSENT else raw

    def _why(self, key: str, err: OmegaConfBaseException) -> str:
        for bad, why in self.unresolvable.items():
            if bad == key or bad.startswith(key + ".") or bad in str(err):
                return f"cannot be resolved: {bad} {why}"
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        return f"cannot be resolved: {message}"


_ABSENT = object()


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
    for key, text in _strings(config, ""):
        for name in _RESOLVER.findall(text):
            if name in PURE_RESOLVERS:
                continue
            why = _WHY.get(name, "is a custom resolver, code the importer does not have")
            found[key] = f"= {text!r}: ${{{name!s}:...}} {why}"
            OmegaConf.update(config, key, "???", force_add=True)
            break
    return found


def _strings(node: Any, prefix: str) -> list[tuple[str, str]]:
    """Every ``(dotted key, text)`` whose text holds a ``${``."""
    out: list[tuple[str, str]] = []
    container: Any = OmegaConf.to_container(node, resolve=False) if prefix == "" else node
    items = list(container.items() if isinstance(container, dict) else enumerate(container))
    for name, value in items:
        key = f"{prefix}.{name!s}" if prefix else str(name)
        if isinstance(value, dict | list):
            out += _strings(value, key)
        elif isinstance(value, str) and "${" in value:
            out.append((key, value))
    return out


def _raw(config: DictConfig, key: str) -> Any:
    node: Any = OmegaConf.to_container(config, resolve=False)
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return _ABSENT
        node = node[part]
    return node
