"""Small Hydra Optuna-sweeper configs written by the tests, and their import."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from sweeps.importers import Imported, ImportOptions, import_file

OPTUNA = "defaults:\n  - override hydra/sweeper: optuna\n"


def probe(tmp_path: Path, text: str, **options: Any) -> Imported:
    """Import the config ``text`` (dedented) with a Python objective and any ``options``."""
    path = tmp_path / "config.yaml"
    path.write_text(textwrap.dedent(text))
    settings = tuple(options.pop("settings", {}).items())
    base = {"objective": "support.objectives:quadratic", "settings": settings}
    return import_file(path, ImportOptions(**{**base, **options}))


def sweeper(tmp_path: Path, body: str, head: str = OPTUNA, **options: Any) -> Imported:
    """A config with ``head`` (a defaults list) and ``body`` under ``hydra.sweeper``."""
    lines = textwrap.indent(textwrap.dedent(body), "    ")
    return probe(tmp_path, f"{head}hydra:\n  sweeper:\n{lines}", **options)
