"""``sweeps status``: counts per state, best value and parameters, a stop on same-cause
failures, what the sweep spent (billed GPU-hours, energy, queue wait) against its budgets;
read-only."""

from __future__ import annotations

import argparse
import json

from sweeps.cli.common import add_spec_options, spec_from_args, user_errors


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("status", help="where a sweep stands: counts per state, best trial")
    add_spec_options(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from sweeps.report.summary import summarize
    from sweeps.spec.facts import BILLED_GPU_HOURS, ENERGY_WH, QUEUE_WAIT_S
    from sweeps.storage import redact_url
    from sweeps.study import load_study
    from sweeps.study.budget_record import recorded_budget
    from sweeps.study.heartbeat import stale_after_s
    from sweeps.study.spending import budget_states, read_spent, totals, worker_overhead
    from sweeps.study.stale import stale_trials
    from sweeps.study.streak import ended_after, read_stop

    spec = spec_from_args(args)
    study = load_study(spec, check=False)
    silent = stale_trials(study)  # reported only: status never writes to the study
    summary = summarize(study, spec)
    trial_budget = recorded_budget(study, spec)  # a shortened run's study was run to fewer
    stop = read_stop(study.user_attrs)
    trials = study.get_trials(deepcopy=False)
    since = ended_after(trials, stop.after) if stop else 0
    spent = totals(trials)
    budgets = budget_states(spec, spent)
    ended_by = read_spent(study)
    overhead = worker_overhead(study.user_attrs, trials)
    if args.json:
        report = {
            **summary.as_dict(),
            "trial_budget": trial_budget.as_dict(),
            "silent_trials": [t.number for t in silent],
            "totals": spent.as_dict(),
            "warm_overhead": overhead.as_dict() if overhead else None,
            "budgets": {
                b.name: {
                    "limit": b.limit,
                    "spent": b.spent,
                    "left": b.left,
                    "unit": b.unit,
                    "exhausted": b.exhausted,
                }
                for b in budgets
            },
        }
        if ended_by is not None:
            report["budget_spent"] = {
                "budget": ended_by.budget,
                "line": ended_by.line,
                "at": ended_by.at,
            }
        if stop is not None:
            report["stopped"] = {
                "cause": stop.cause,
                "trials": stop.trials,
                "at": stop.at,
                "trials_ended_since": since,
            }
        print(json.dumps(report, indent=2, default=str))
        return 0
    console = Console()
    if silent:
        console.print(
            f"{len(silent)} running trial(s) have not sent a heartbeat for over "
            f"{stale_after_s():.0f}s: {[t.number for t in silent]}; the next run of their "
            "slot checks their job and re-attaches or retries them"
        )
    console.print(
        f"[bold]{spec.study}[/] in {redact_url(spec.storage_url)}: "
        f"{summary.slots_done}/{trial_budget.n_trials} trial slots done"
        + (f" (budget {trial_budget.line()})" if trial_budget.shortened else "")
    )
    table = Table("state", "trials")
    for state, count in summary.counts.items():
        if count:
            table.add_row(state, str(count))
    console.print(table)
    if stop is not None:
        numbers = ", ".join(str(n) for n in stop.trials)
        if since:
            after = f"; {since} trial(s) ended since"
        elif spec.budget.count_failed:
            after = "; they count against n_trials (count_failed): a re-run runs the slots left"
        else:
            after = "; they do not use up n_trials: a re-run runs their slots again"
        console.print(
            f"stopped: {len(stop.trials)} trials in a row failed with the same cause: "
            f"{stop.cause} (trials {numbers}){after}",
            markup=False,
            highlight=False,
        )
    energy = (
        f"{spent.energy_wh:g} {ENERGY_WH.unit} ({spent.trials_measured} trial(s) measured)"
        if spent.trials_measured
        else "not recorded"
    )
    billed = BILLED_GPU_HOURS.label
    console.print(
        f"spent: {spent.billed_gpu_hours:g} {billed} ({spent.trials_billed} trial(s)), "
        f"{ENERGY_WH.label} {energy}, {QUEUE_WAIT_S.label} {spent.queue_wait_s / 3600:.2f} h",
        markup=False,
        highlight=False,
    )
    if overhead is not None:
        console.print(
            f"warm workers: {overhead.worker_billed_gpu_hours:g} {billed} held by "
            f"{overhead.workers} worker(s), {overhead.charged_gpu_hours:g} charged to trials, "
            f"{overhead.idle_gpu_hours:g} idle overhead",
            markup=False,
            highlight=False,
        )
    for budget in budgets:
        console.print(f"budget {budget.line()}", markup=False, highlight=False)
    if ended_by is not None:
        console.print(f"a run ended on budget {ended_by.line}", markup=False, highlight=False)
    for best in summary.best:
        console.print(
            f"best: trial {best['number']} values={best['values']} params={best['params']}"
        )
    if not summary.best:
        console.print("best: no completed trial yet")
    return 0
