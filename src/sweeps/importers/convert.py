"""Pick the importer for a file, run it, check the result, write the sweep file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from sweeps.importers import hydra, wandb
from sweeps.importers.base import Imported, ImportOptions, UnsupportedConstruct, read_yaml
from sweeps.spec import spec_from_dict

SOURCES: dict[str, Callable[[dict[str, Any], Path, ImportOptions], Imported]] = {
    "wandb": wandb.convert,
    "hydra": hydra.convert,
}


def detect_source(data: dict[str, Any], path: Path) -> str:
    """``hydra`` for a Hydra config, ``wandb`` for a W&B sweep; an error otherwise."""
    if hydra.is_hydra(data):
        return "hydra"
    if "method" in data and "parameters" in data:
        return "wandb"
    raise UnsupportedConstruct(
        path,
        "",
        "<file>",
        "neither a W&B sweep (method, parameters) nor a Hydra config; pass --from",
    )


def import_file(path: Path, options: ImportOptions, source: str | None = None) -> Imported:
    """Convert ``path`` into a validated sweep mapping (:class:`UnsupportedConstruct` if not)."""
    data = read_yaml(path)
    kind = source or detect_source(data, path)
    if kind not in SOURCES:
        raise UnsupportedConstruct(path, "--from", kind, f"known: {', '.join(SOURCES)}")
    if options.settings and kind != "hydra":
        raise UnsupportedConstruct(path, "--set", options.settings[0][0], "only for Hydra configs")
    imported = SOURCES[kind](data, path, options)
    spec_from_dict(imported.spec, source=path)  # what we write must load
    return imported


def write_imported(imported: Imported, source: Path, out: Path) -> None:
    """Write the sweep file with a header saying where it came from and what changed."""
    lines = [f"# Imported from {source.name} by 'sweeps import'."]
    lines += [f"# note: {note}" for note in imported.notes]
    body = yaml.safe_dump(imported.spec, sort_keys=False, default_flow_style=None, width=100)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n" + body)
