"""One schema per fact: each recorded fact is declared once (sweeps.spec.facts), the writers
record it by that declaration, the readers (trials.csv, the report, ``sweeps status``, the
dashboard note, the budgets) read it by it, old studies' keys included, and two different
quantities never share a name."""

from __future__ import annotations

import ast
import json
from collections import Counter
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
import pytest
from support.specs import base_spec

from sweeps.cli import main
from sweeps.controller.slot import tell_outcome
from sweeps.dashboard.note import cost_lines
from sweeps.job.cost_values import COST_VALUES
from sweeps.job.task import TrialOutcome
from sweeps.report.columns import value_columns
from sweeps.report.tables import write_tables
from sweeps.run.executors.slurm.accounting import JobInfo
from sweeps.run.executors.slurm.billing import cost_facts
from sweeps.run.executors.slurm.facts import slurm_facts
from sweeps.run.executors.slurm.outcomes import STATES, SlurmState
from sweeps.spec import SpecError, spec_from_dict
from sweeps.spec.billing import Billing, BillingRule
from sweeps.spec.facts import (
    ALLOCATED_GPU_HOURS,
    COST,
    FACT_KEYS,
    FACTS,
    GROUPS,
    JOB_ELAPSED_S,
    METRICS,
    SLURM,
    TRIAL_GPU_HOURS,
    CostMetric,
    Fact,
)
from sweeps.study import load_study, prepare_study
from sweeps.study.keys import flatten_facts
from sweeps.study.spending import budget_states, totals

SRC = Path(__file__).resolve().parents[2] / "src" / "sweeps"
DECLARATION = SRC / "spec" / "facts.py"
STATE_TABLE = SRC / "run" / "executors" / "slurm" / "outcomes.py"
REPORT_COLUMNS = {"number", "slot", "attempt", "state", "datetime_start", "datetime_complete"}
"""The report's own columns (the trial's place, state and times), which no fact may take."""

LUMI_SMALL_G = Billing(partitions={"small-g": BillingRule(rule="gpu_share", per_gpu=0.5)})


def quantities() -> list[tuple[str, set[str], set[str]]]:
    """Each quantity sweeps names: (what, its names today, the names it had before). A cost
    metric that is a recorded fact is that fact's quantity."""
    found: dict[Fact | CostMetric, tuple[set[str], set[str]]] = {}
    for fact in FACTS:
        found[fact] = ({fact.key, fact.name, fact.column}, set(fact.old_keys))
    for metric in METRICS:
        names, old = found.setdefault(metric.fact or metric, (set(), set()))
        names.add(metric.name)
        old.update(metric.old_names)
    return [(repr(q), names, old) for q, (names, old) in found.items()]


def test_every_declared_key_is_unique() -> None:
    keys = Counter(key for fact in FACTS for key in fact.keys)
    assert [key for key, n in keys.items() if n > 1] == []
    assert all(fact.group in GROUPS for fact in FACTS)


def test_every_column_is_unique_and_none_takes_a_column_of_the_report() -> None:
    columns = Counter(fact.column for fact in FACTS)
    assert [column for column, n in columns.items() if n > 1] == []
    assert not set(columns) & REPORT_COLUMNS
    machine = ("value", "params_", "user_attrs_")
    assert not [c for c in columns if c.startswith(machine)]


def test_two_quantities_never_share_a_name() -> None:
    seen = quantities()
    for i, (what, names, _) in enumerate(seen):
        for other, other_names, _ in seen[i + 1 :]:
            assert not names & other_names, (what, other)
        for other, _, other_old in seen:
            if other != what:  # an old study's key or an old sweep file's name reads as one
                assert not names & other_old, (what, other)


def test_the_three_gpu_hours_are_three_names() -> None:
    """Slurm's allocated, the site's billed and the trial's held GPU-hours."""
    gpu_hours = [q for q in quantities() if any("gpu_hours" in name for name in q[1])]
    assert len(gpu_hours) == 3
    assert "gpu_hours" not in {name for _, names, _ in gpu_hours for name in names}


def test_every_slurm_and_cost_fact_the_executor_writes_is_declared() -> None:
    info = JobInfo(
        "42_3",
        SlurmState.COMPLETED,
        "small-g",
        "nid1",
        2,
        submit="2026-01-01T00:00:00",
        start="2026-01-01T00:01:00",
        elapsed_s=1800,
        energy_j=7200.0,
    )
    written = flatten_facts({SLURM: slurm_facts(info), COST: cost_facts(info, LUMI_SMALL_G)})
    assert set(written) <= FACT_KEYS
    assert written[ALLOCATED_GPU_HOURS.key] == 1.0  # 2 GCDs x half an hour
    assert written[JOB_ELAPSED_S.key] == 1800


def recorded_facts() -> dict[str, Any]:
    """Every declared fact, with the values a Slurm job's trial records."""
    facts: dict[str, Any] = {fact.key: f"{fact.name} value" for fact in FACTS}
    facts.update({"seed": 7, "device": "cpu"})  # user attributes that are no declared fact
    return facts


def test_every_trials_csv_column_comes_from_the_declaration(make_spec, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec()
    study = prepare_study(spec)
    trial = study.ask({"x": optuna.distributions.FloatDistribution(-5, 5)})
    tell_outcome(study, trial, TrialOutcome("complete", values=[1.0], facts=recorded_facts()))
    csv_path, _ = write_tables(study, spec, workdir / "out")
    columns = list(pd.read_csv(csv_path).columns)
    declared = [fact.column for fact in FACTS]
    assert [c for c in columns if c in declared] == declared  # each fact once, in its order
    others = [c for c in columns if c not in declared]
    expected = REPORT_COLUMNS | set(value_columns(spec)) | {"params_x"}
    expected |= {"user_attrs_seed", "user_attrs_device"}
    assert set(others) == expected
    row = pd.read_csv(csv_path).iloc[0]
    assert {fact.column: row[fact.column] for fact in FACTS} == {
        fact.column: f"{fact.name} value" for fact in FACTS
    }


OLD_STUDY_TRIAL = {
    "runtime_s": 30.0,
    "slurm.run_time_s": 40,  # the job's elapsed time, as it was recorded
    "slurm.gpu_hours": 0.02,  # Slurm's allocated GPU-hours, as they were recorded
    "slurm.energy_wh": 3.5,  # the job's ConsumedEnergyRaw, as it was recorded
    "cost.billed_gpu_hours": 0.01,
    "slurm.queue_wait_s": 15.0,
}


def test_an_old_study_reports_its_facts_under_todays_names(make_spec, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec()
    study = prepare_study(spec)
    study.add_trial(optuna.trial.create_trial(value=1.0, user_attrs=OLD_STUDY_TRIAL))
    csv_path, best_path = write_tables(study, spec, workdir / "out")
    row = pd.read_csv(csv_path).iloc[0]
    assert (row["allocated_s"], row["allocated_gpu_hours"]) == (40, 0.02)
    assert row["consumed_energy_wh"] == 3.5
    assert not [c for c in row.index if c.startswith("user_attrs_slurm.")]
    cost = json.loads(best_path.read_text())["cost"]
    assert (cost["allocated_gpu_hours"], cost["allocated_gpu_hours_trials"]) == (0.02, 1)
    assert cost["efficiency"] == pytest.approx(30 / 40)
    trials = study.get_trials()
    assert totals(trials).allocated_gpu_hours == 0.02
    assert cost_lines(spec, trials, study.user_attrs)[0].endswith(
        "allocated GPU-hours (Slurm): 0.020"
    )


def test_status_json_names_the_totals_by_their_facts(make_spec, capsys) -> None:  # type: ignore[no-untyped-def]
    path, spec = make_spec()
    assert main(["study", "prepare", "--spec", str(path)]) == 0
    study = load_study(spec)
    facts = {SLURM: {ALLOCATED_GPU_HOURS.name: 1.5}, COST: {"billed_gpu_hours": 0.75}}
    tell_outcome(study, study.ask(), TrialOutcome("complete", values=[1.0], facts=facts))
    capsys.readouterr()
    assert main(["status", "--spec", str(path), "--json"]) == 0
    spent = json.loads(capsys.readouterr().out)["totals"]
    assert (spent["billed_gpu_hours"], spent["allocated_gpu_hours"]) == (0.75, 1.5)


def test_a_sweep_files_old_budget_key_keeps_its_billed_meaning() -> None:
    old = spec_from_dict(base_spec(budget={"n_trials": 4, "max_gpu_hours": 1.0}))
    assert old.budget.max_billed_gpu_hours == 1.0
    trials = [
        optuna.trial.create_trial(
            value=1.0, user_attrs={"cost.billed_gpu_hours": 0.25, "slurm.gpu_hours": 9.0}
        )
    ]
    (state,) = budget_states(old, totals(trials))
    assert (state.name, state.spent, state.unit) == ("max_billed_gpu_hours", 0.25, "GPU-hours")
    with pytest.raises(SpecError) as err:
        spec_from_dict(
            base_spec(budget={"n_trials": 4, "max_gpu_hours": 1, "max_billed_gpu_hours": 1})
        )
    assert "'max_gpu_hours' is the old name of 'max_billed_gpu_hours'" in str(err.value)


def test_a_sweep_files_old_metric_name_keeps_its_meaning() -> None:
    data = base_spec(
        direction=None,
        directions=["minimize", "minimize"],
        metrics=["loss", "gpu_hours"],
        sampler={"name": "NSGAIISampler"},
        resources={"gpus": 2, "time_min": 2},
    )
    spec = spec_from_dict(data)
    assert spec.metrics == ["loss", TRIAL_GPU_HOURS.name]
    assert value_columns(spec) == ["value_loss", "value_trial_gpu_hours"]
    # The trial's GPUs x its own run time, as gpu_hours was: not Slurm's, not the billed figure.
    facts = {"runtime_s": 1800.0, "slurm.allocated_gpu_hours": 9.0, "cost.billed_gpu_hours": 7.0}
    assert COST_VALUES[TRIAL_GPU_HOURS.name](spec, facts) == 1.0


def _strings(path: Path) -> list[tuple[int, str]]:
    """The string constants of a module (f-string parts included), docstrings left out."""
    tree = ast.parse(path.read_text())
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def declared_names() -> set[str]:
    """What only the declaration may spell: keys (old ones too), compound column names
    (a one-word column such as ``node`` is an ordinary word elsewhere) and cost metric names."""
    names = set(FACT_KEYS)
    names |= {fact.column for fact in FACTS if "_" in fact.column}
    names |= {name for metric in METRICS for name in (metric.name, *metric.old_names)}
    return names


def test_nothing_outside_the_declaration_spells_a_declared_fact() -> None:
    names = declared_names()
    prefixes = tuple(f"{group}." for group in GROUPS if group)
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path == DECLARATION:
            continue
        for line, text in _strings(path):
            if text in names or text.startswith(prefixes):
                offenders.append(f"{path.relative_to(SRC)}:{line} {text!r}")
    assert offenders == []


def test_slurm_states_are_spelled_in_their_table_only() -> None:
    assert set(STATES) == set(SlurmState)
    offenders = [
        f"{path.relative_to(SRC)}:{line} {text!r}"
        for path in sorted(SRC.rglob("*.py"))
        if path != STATE_TABLE
        for line, text in _strings(path)
        if text in set(SlurmState)
    ]
    assert offenders == []


def test_the_scan_finds_a_spelled_key(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        '"""Reads ``slurm.queue_wait_s``."""\n'
        'X = t.user_attrs["slurm.gpu_hours"]\n'
        'Y = f"energy.{name}"\n'
        'Z = "PENDING"\n'
    )
    texts = [text for _, text in _strings(module)]
    assert "slurm.gpu_hours" in declared_names() and "slurm.gpu_hours" in texts
    assert "energy." in texts and "PENDING" in texts
    assert not [t for t in texts if t.startswith("Reads")]  # the docstring is prose
