"""What every importer shares: options, the result, the error and a YAML 1.2 float reader."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class UnsupportedConstruct(ValueError):
    """A construct of the source file that a sweep file cannot express exactly."""

    def __init__(self, source: str | Path, key: str, construct: Any, why: str) -> None:
        self.source, self.key, self.construct = str(source), key, construct
        super().__init__(f"{source}: {key} = {construct!r}: {why}")


@dataclass(frozen=True)
class ImportOptions:
    """What the source file does not say and the user may: a Python objective instead of the
    file's script, the script (``program``; a Hydra app), maybe a budget."""

    objective: str | None = None
    study: str | None = None
    n_trials: int | None = None
    program: str | None = None
    settings: tuple[tuple[str, str], ...] = ()  # --set KEY=VALUE: values the file cannot give


@dataclass
class Imported:
    """A sweep mapping plus notes on how each source setting was carried over."""

    spec: dict[str, Any]
    notes: list[str] = field(default_factory=list)


class _Yaml12Loader(yaml.SafeLoader):
    """SafeLoader reading ``1e-5`` as a float, as YAML 1.2 (and W&B, OmegaConf) do."""


_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_Yaml12Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:float"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping, with YAML 1.2 floats; errors name the file."""
    try:
        data = yaml.load(path.read_text(), Loader=_Yaml12Loader)
    except OSError as err:
        raise UnsupportedConstruct(path, "", "<file>", f"cannot read: {err.strerror}") from None
    except yaml.YAMLError as err:
        why = " ".join(str(err).split())  # one line
        raise UnsupportedConstruct(path, "", "<file>", f"not valid YAML: {why}") from None
    if not isinstance(data, dict):
        raise UnsupportedConstruct(path, "", type(data).__name__, "a sweep file is a mapping")
    return data


def study_name(text: str) -> str:
    """A valid study name made from a file stem or a source's name."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._")
    return name or "imported"
