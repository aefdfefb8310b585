"""``sweeps export``: a self-contained directory describing a sweep and all of its trials.

Layout: ``sweep.yaml`` (the spec, storage secrets redacted), ``study.json`` (fingerprint, pinned
settings with defaults resolved, versions, code version), ``environment.txt`` (every installed
distribution, pip-freeze style), ``trials.json`` and ``trials.csv``.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import optuna
import yaml
from optuna.trial import FrozenTrial

from sweeps.spec import SweepSpec
from sweeps.storage import redact_url
from sweeps.study import load_study
from sweeps.study.keys import Attr, Key

FORMAT = 1


def export_bundle(spec: SweepSpec, out: Path) -> Path:
    """Write the sweep's bundle to ``out`` (created; existing files are replaced)."""
    study = load_study(spec, check=False)
    out.mkdir(parents=True, exist_ok=True)
    stored_spec = study.user_attrs.get(Key.SPEC)
    spec_data = json.loads(stored_spec) if stored_spec else _redacted(spec)
    (out / "sweep.yaml").write_text(yaml.safe_dump(spec_data, sort_keys=False))
    trials = [trial_record(t) for t in study.get_trials(deepcopy=False)]
    _mark_final(trials)
    about = {
        "format": FORMAT,
        "study": spec.study,
        "storage": redact_url(spec.storage_url),
        "exported_at": datetime.now(UTC).isoformat(),
        "fingerprint": study.user_attrs.get(Key.FINGERPRINT),
        "pinned": json.loads(study.user_attrs.get(Key.PINNED, "null")),
        "versions": study.user_attrs.get(Key.VERSIONS),
        "code_version": study.user_attrs.get(Key.CODE_VERSION),
        "directions": [d.name.lower() for d in study.directions],
        "n_trials": len(trials),
    }
    (out / "study.json").write_text(json.dumps(about, indent=2, default=str) + "\n")
    (out / "environment.txt").write_text("\n".join(environment()) + "\n")
    (out / "trials.json").write_text(json.dumps(trials, indent=2, default=str) + "\n")
    write_trials_csv(trials, out / "trials.csv")
    return out


def trial_record(trial: FrozenTrial) -> dict[str, Any]:
    """Everything about one trial, JSON-able."""
    return {
        "number": trial.number,
        "slot": trial.system_attrs.get(Key.SLOT),
        "attempt": trial.system_attrs.get(Key.ATTEMPT, 0),
        "state": trial.state.name,
        "params": dict(trial.params),
        "distributions": {
            name: optuna.distributions.distribution_to_json(d)
            for name, d in trial.distributions.items()
        },
        "values": list(trial.values) if trial.values else None,
        "intermediate_values": {str(k): v for k, v in sorted(trial.intermediate_values.items())},
        "seed": trial.user_attrs.get(Attr.SEED),
        "datetime_start": trial.datetime_start,
        "datetime_complete": trial.datetime_complete,
        "user_attrs": dict(trial.user_attrs),
        "system_attrs": {k: v for k, v in trial.system_attrs.items() if k.startswith("sweeps:")},
    }


def _mark_final(trials: list[dict[str, Any]]) -> None:
    """Flag each slot's last trial: the one that decided the slot (retries come before it)."""
    last: dict[Any, int] = {}
    for index, record in enumerate(trials):
        last[record["slot"] if record["slot"] is not None else f"n{record['number']}"] = index
    finals = set(last.values())
    for index, record in enumerate(trials):
        record["final"] = index in finals


def write_trials_csv(trials: list[dict[str, Any]], path: Path) -> None:
    """One row per trial: params and values in columns, curves and attributes as JSON."""
    names = sorted({name for t in trials for name in t["params"]})
    n_values = max((len(t["values"] or []) for t in trials), default=1)
    header = ["number", "slot", "attempt", "final", "state", "seed"]
    header += [f"values_{i}" for i in range(n_values)] + [f"params_{n}" for n in names]
    header += ["intermediate_values", "user_attrs"]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for t in trials:
            values = (t["values"] or []) + [None] * n_values
            writer.writerow(
                [t["number"], t["slot"], t["attempt"], t["final"], t["state"], t["seed"]]
                + values[:n_values]
                + [t["params"].get(n) for n in names]
                + [json.dumps(t["intermediate_values"]), json.dumps(t["user_attrs"], default=str)]
            )


def environment() -> list[str]:
    """Installed distributions as ``name==version`` lines, sorted (a pip freeze)."""
    found = {
        (dist.metadata["Name"] or "").lower(): dist.version for dist in metadata.distributions()
    }
    return [f"{name}=={version}" for name, version in sorted(found.items()) if name]


def _redacted(spec: SweepSpec) -> dict[str, Any]:
    data: dict[str, Any] = spec.model_copy(update={"storage": redact_url(spec.storage)}).model_dump(
        mode="json"
    )
    return data
