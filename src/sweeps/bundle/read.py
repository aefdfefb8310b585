"""Reading a bundle back: its spec, its facts and its trials."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sweeps.spec import SpecError
from sweeps.spec.errors import MISSING


@dataclass(frozen=True)
class Bundle:
    """An exported sweep."""

    path: Path
    spec: dict[str, Any]
    about: dict[str, Any]
    trials: list[dict[str, Any]]

    def final_trials(self) -> list[dict[str, Any]]:
        """Each slot's deciding trial, in slot order."""
        finals = [t for t in self.trials if t.get("final", True)]
        return sorted(finals, key=lambda t: (t["slot"] is None, t["slot"] or 0, t["number"]))


def read_bundle(path: Path) -> Bundle:
    """Load a bundle written by :func:`sweeps.bundle.export_bundle`."""
    try:
        spec = yaml.safe_load((path / "sweep.yaml").read_text())
        about = json.loads((path / "study.json").read_text())
        trials = json.loads((path / "trials.json").read_text())
    except OSError as err:
        raise SpecError(path, [("", MISSING, f"not a sweep bundle: {err}")]) from None
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise SpecError(path, [("", MISSING, f"damaged bundle: {err}")]) from None
    return Bundle(path, spec, about, trials)
