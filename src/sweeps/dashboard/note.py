"""The study note optuna-dashboard shows above a sweep: what ran, with what, at what cost."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import optuna
import yaml

from sweeps.spec import SweepSpec
from sweeps.spec.facts import ALLOCATED_GPU_HOURS, BILLED_GPU_HOURS, ENERGY_WH, QUEUE_WAIT_S
from sweeps.storage import redact_url
from sweeps.study.keys import Key
from sweeps.study.spending import budget_states, totals, worker_overhead


def cost_lines(
    spec: SweepSpec, trials: list[optuna.trial.FrozenTrial], study_attrs: dict[str, Any]
) -> list[str]:
    """The recorded figures, named by their facts (sweeps.spec.facts): billed GPU-hours (by
    the site's rule), Slurm's allocated GPU-hours, energy where it was measured, queue wait,
    warm workers' idle overhead, and each budget's spent and left."""
    spent = totals(trials)
    overhead = worker_overhead(study_attrs, trials)
    energy = (
        f"{spent.energy_wh:.1f} {ENERGY_WH.unit} over {spent.trials_measured} measured trial(s)"
        if spent.trials_measured
        else "not recorded"
    )
    billed, allocated = BILLED_GPU_HOURS.label, ALLOCATED_GPU_HOURS.label
    lines = [
        f"- {billed} so far: {spent.billed_gpu_hours:.3f} "
        f"({spent.trials_billed} trial(s) billed); {allocated}: {spent.allocated_gpu_hours:.3f}",
        f"- {ENERGY_WH.label}: {energy}; {QUEUE_WAIT_S.label}: {spent.queue_wait_s / 3600:.2f} h",
    ]
    if overhead is not None:
        lines.append(
            f"- warm workers: {overhead.worker_billed_gpu_hours:.3f} {billed} held, "
            f"{overhead.charged_gpu_hours:.3f} charged to trials, "
            f"{overhead.idle_gpu_hours:.3f} idle overhead"
        )
    lines += [f"- budget {state.line()}" for state in budget_states(spec, spent)]
    return lines


def study_note(spec: SweepSpec, study: optuna.Study) -> str:
    """A Markdown summary of the sweep: spec, versions, trials per state, what it cost."""
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
        *cost_lines(spec, trials, study.user_attrs),
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
