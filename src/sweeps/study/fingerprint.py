"""What makes two sweeps the same sweep: a fingerprint of the pinned settings."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sweeps.spec import SweepSpec
from sweeps.spec.samplers import resolved_pruner_args, resolved_sampler_args


def pinned_settings(spec: SweepSpec) -> dict[str, Any]:
    """The settings a resume must not change: space, objective, sampler, pruner, seeds."""
    settings: dict[str, Any] = {
        "space": {name: p.model_dump() for name, p in spec.space.items()},
        "directions": list(spec.directions),
        # How a returned value is judged is not part of what a resume must keep.
        "objective": spec.objective.model_dump(exclude={"allow_non_finite"}),
        "sampler": {"name": spec.sampler.name, "args": resolved_sampler_args(spec)},
        "pruner": {"name": spec.pruner.name, "args": resolved_pruner_args(spec)},
        "seed": spec.seed,
        "reproducible": spec.reproducible,
    }
    if spec.reproducible:
        settings["parallelism"] = spec.parallelism
    return settings


def fingerprint(settings: dict[str, Any]) -> str:
    """A short stable hash of pinned settings."""
    canonical = json.dumps(settings, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def differences(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    """Human-readable lines for each pinned setting that differs."""
    lines = []
    for key in sorted(set(old) | set(new)):
        path = f"{prefix}{key}"
        a, b = old.get(key, "<absent>"), new.get(key, "<absent>")
        if isinstance(a, dict) and isinstance(b, dict):
            lines.extend(differences(a, b, prefix=f"{path}."))
        elif a != b:
            lines.append(f"{path}: {a!r} -> {b!r}")
    return lines
