"""The study note optuna-dashboard shows above a sweep: what ran, with what, at what cost."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import optuna
import yaml

from sweeps.spec import SweepSpec
from sweeps.storage import redact_url
from sweeps.study.keys import Attr, Key


def gpu_hours(spec: SweepSpec, trials: list[optuna.trial.FrozenTrial]) -> float:
    """GPU-hours spent so far: each trial's recorded GPU-hours (``slurm.gpu_hours``), else its
    run time x the GPUs a trial asks for."""
    total = 0.0
    for trial in trials:
        attrs = trial.user_attrs
        if Attr.GPU_HOURS in attrs:
            total += float(attrs[Attr.GPU_HOURS])
        elif Attr.RUNTIME_S in attrs:
            total += float(attrs[Attr.RUNTIME_S]) * spec.resources.gpus / 3600
    return total


def study_note(spec: SweepSpec, study: optuna.Study) -> str:
    """A Markdown summary of the sweep: spec, versions, trials per state, GPU-hours."""
    trials = study.get_trials(deepcopy=False)
    counts = Counter(t.state.name for t in trials)
    versions = study.user_attrs.get(Key.VERSIONS, {})
    shown = spec.model_copy(update={"storage": redact_url(spec.storage)}).model_dump(mode="json")
    lines = [
        f"# Sweep `{spec.study}`",
        "",
        spec.description or "",
        "",
        f"- storage: `{redact_url(spec.storage_url)}`",
        f"- budget: {spec.budget.n_trials} trials, up to {spec.budget.max_retries} retries each; "
        f"parallelism {spec.parallelism}; executor `{spec.dispatch.executor}`",
        f"- trials so far: {len(trials)} ("
        + ", ".join(f"{state.lower()} {n}" for state, n in sorted(counts.items()))
        + ")",
        f"- GPU-hours so far: {gpu_hours(spec, trials):.2f} "
        f"({spec.resources.gpus} GPU(s) per trial)",
        f"- versions: {', '.join(f'{k} {v}' for k, v in sorted(versions.items())) or 'unknown'}",
        f"- note written {datetime.now(UTC).isoformat(timespec='seconds')}",
        "",
        "Each trial's user attributes hold its job id, host, device, timings and outcome; its",
        "job log is under Artifacts.",
        "",
        "## Sweep file (resolved)",
        "",
        "```yaml",
        yaml.safe_dump(json.loads(json.dumps(shown)), sort_keys=False).rstrip(),
        "```",
    ]
    return "\n".join(lines) + "\n"


def write_study_note(spec: SweepSpec, study: optuna.Study) -> None:
    """Store the note where optuna-dashboard shows it."""
    from optuna_dashboard import save_note

    save_note(study, study_note(spec, study))
