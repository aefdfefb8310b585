"""A primary config's defaults list, read as Hydra reads it (ConfigRepository).

An entry is a config name (``_self_``, ``base``) or a one-key mapping ``[optional] [override]
[/]group[@package]: option``; an option with a ``/`` moves its head into the group
(``hydra: sweeper/optuna``). What the importer uses is the choice of ``hydra/sweeper`` and
``hydra/sweeper/sampler``; every other entry is reported in a note, never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sweeps.importers.base import UnsupportedConstruct

SWEEPER, SAMPLER = "hydra/sweeper", "hydra/sweeper/sampler"
_KEYWORDS = ("optional", "override")
# Where the group's config lands unless the entry names another package.
_PACKAGES = {SWEEPER: "hydra.sweeper", SAMPLER: "hydra.sweeper.sampler"}


@dataclass
class Defaults:
    """The sweeper and sampler chosen (None: not chosen here) and notes on the rest."""

    sweeper: str | None = None
    sampler: str | None = None
    notes: list[str] = field(default_factory=list)


def read_defaults(source: Path, entries: Any) -> Defaults:
    """The choices the defaults list makes (errors name the entry)."""
    if not isinstance(entries, list):
        raise UnsupportedConstruct(source, "defaults", entries, "must be a list")
    found = Defaults()
    for entry in entries:
        if isinstance(entry, str):
            if entry != "_self_":
                found.notes.append(
                    f"defaults: {entry!r}: another config of the app, which the app reads "
                    "when it runs; the importer does not read it"
                )
            continue
        if not isinstance(entry, dict) or len(entry) != 1:
            raise UnsupportedConstruct(source, "defaults", entry, "an entry is 'group: option'")
        key, option = next(iter(entry.items()))
        _choose(source, found, str(key), option)
    return found


def _choose(source: Path, found: Defaults, key: str, option: Any) -> None:
    where = f"defaults.{key}"
    words = key.split()
    if not words or any(word not in _KEYWORDS for word in words[:-1]):
        raise UnsupportedConstruct(source, where, option, "keywords are optional, override")
    group, _, package = words[-1].partition("@")
    group = group.removeprefix("/")
    if _shorthand(option):
        head, short = option.rsplit("/", 1)
        if f"{group}/{head}" in _PACKAGES:
            raise UnsupportedConstruct(
                source,
                where,
                option,
                f"Hydra does not choose the sweeper or sampler this way (it keeps its default); "
                f"write 'override {group}/{head}: {short}'",
            )
        group, option = f"{group}/{head}", short
    if group not in _PACKAGES:
        found.notes.append(
            f"{where}: {option!r}: a config group of the app (or of Hydra's launcher, "
            "logging...), not the sweeper's; the importer does not read it"
        )
        return
    if not isinstance(option, str) or option == "???" or "${" in option:
        raise UnsupportedConstruct(
            source, where, option, "the sweeper and sampler must be chosen by name in the file"
        )
    _check_package(source, where, option, group, package)
    if "override" not in words:
        found.notes.append(
            f"{where}: without 'override': Hydra 1.0's form, which Hydra 1.1 and later refuse; "
            f"read as 'override {group}: {option}', as Hydra 1.0 did"
        )
    if group == SWEEPER:
        found.sweeper = option
    else:
        found.sampler = option


def _shorthand(option: Any) -> bool:
    """``group: sub/option`` means ``group/sub: option``."""
    if not isinstance(option, str) or "${" in option or option == "???":
        return False
    return "/" in option and ".." not in option.split("/")


def _check_package(source: Path, where: str, option: str, group: str, package: str) -> None:
    """The sweeper reads its sampler from ``hydra.sweeper.sampler``; a package elsewhere."""
    package = package.partition(":")[0]
    target = package.removeprefix("_global_").removeprefix(".")
    if package in ("", "_group_") or target == _PACKAGES[group]:
        return
    raise UnsupportedConstruct(
        source,
        where,
        option,
        f"package {package!r} puts the config elsewhere than {_PACKAGES[group]}, "
        "where the sweeper reads it",
    )
