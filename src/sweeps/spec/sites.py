"""Site settings: partial sweep files (from a Snakemake profile) merged with the sweep.

A site's ``resources`` are defaults: what a sweep asks for wins (a sweep's ``gpus: 8`` stays
8). Everything else a site sets (where and how trials run: ``dispatch``) is merged over the
sweep.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sweeps.spec.errors import MISSING, SpecError
from sweeps.spec.load import deep_merge, duplicate_key_problems, load_spec
from sweeps.spec.model import SweepSpec
from sweeps.spec.yamlfile import DuplicateKeys, parse_yaml


def read_sites(paths: list[Path]) -> dict[str, Any] | None:
    """Several site settings files merged in order (later ones win); None for no files."""
    merged: dict[str, Any] | None = None
    for path in paths:
        merged = deep_merge(merged or {}, read_site(path))
    return merged


DEFAULT_SECTIONS = ("resources",)


def split_site(site: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """A merged site's (defaults, overrides): what goes under the sweep and what over it."""
    site = site or {}
    defaults = {k: v for k, v in site.items() if k in DEFAULT_SECTIONS}
    return defaults, {k: v for k, v in site.items() if k not in DEFAULT_SECTIONS}


def load_with_sites(
    spec: str | Path,
    sites: list[Path],
    overrides: list[Path] | None = None,
    n_trials: object = None,
) -> SweepSpec:
    """The sweep ``spec`` with its site settings (their defaults under it, the rest over it),
    then ``overrides`` (files of settings for one run, over everything), then ``n_trials`` (the
    run's budget shortened to that many trials; None: the sweep's)."""
    defaults, over = split_site(read_sites(sites))
    over = deep_merge(over, read_sites(overrides or []) or {})
    return load_spec(spec, overrides=over or None, defaults=defaults or None, n_trials=n_trials)


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
