"""Site settings: partial sweep files (from a Snakemake profile) merged over the sweep."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sweeps.spec.errors import MISSING, SpecError
from sweeps.spec.load import deep_merge, duplicate_key_problems
from sweeps.spec.yamlfile import DuplicateKeys, parse_yaml


def read_sites(paths: list[Path]) -> dict[str, Any] | None:
    """Several site settings files merged in order (later ones win); None for no files."""
    merged: dict[str, Any] | None = None
    for path in paths:
        merged = deep_merge(merged or {}, read_site(path))
    return merged


def read_site(path: Path) -> dict[str, Any]:
    """A profile's sweep-side settings (a partial sweep file)."""
    try:
        data = parse_yaml(Path(path).read_text()) or {}
    except DuplicateKeys as err:
        raise SpecError(path, duplicate_key_problems(err)) from None
    except OSError as err:
        raise SpecError(
            path, [("", MISSING, f"cannot read site settings: {err.strerror}")]
        ) from err
    except yaml.YAMLError as err:
        raise SpecError(path, [("", MISSING, f"site settings are not valid YAML: {err}")]) from err
    if not isinstance(data, dict):
        raise SpecError(path, [("", data, "site settings must be a YAML mapping")])
    return data


def resolve_site(site: str | None, config_files: list[str]) -> str | None:
    """A profile's ``site`` path: as given if it exists, else beside one of the config files."""
    if not site or Path(site).is_absolute() or Path(site).exists():
        return site
    for config_file in config_files:
        candidate = Path(config_file).parent / site
        if candidate.is_file():
            return str(candidate)
    return site
