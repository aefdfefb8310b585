"""Budgets: once ``budget.max_billed_gpu_hours``, ``max_energy_kwh`` or ``deadline`` is spent, no
new trial starts. Trials in flight finish, or with ``budget.on_exhausted: cancel`` are cancelled
(marked for a retry). A slot that starts no trial writes a "not run" receipt, so Snakemake ends
normally; the next run forgets those receipts and looks at the budgets again.

The first controller of a run to find a budget spent records it (:attr:`Key.BUDGET_SPENT`)
and prints which budget ended the sweep; the others print nothing more.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import optuna

from sweeps.controller.receipts import NOT_RUN, Receipt, write_receipt
from sweeps.controller.stopped import ControllerStopped
from sweeps.spec import SweepSpec
from sweeps.spec.paths import SweepPaths
from sweeps.storage import open_storage, storage_file
from sweeps.storage.mutex import storage_mutex
from sweeps.study.budget_record import TrialBudget, record_budget
from sweeps.study.controllers import this_run
from sweeps.study.spending import (
    BudgetState,
    Spending,
    has_budgets,
    read_spent,
    record_spent,
    spent_from_totals,
)


class BudgetSpent(ControllerStopped):
    """A budget of the sweep is spent: this slot starts no trial."""

    def __init__(self, state: BudgetState) -> None:
        super().__init__(state.line())
        self.state = state


def refuse_if_spent(spec: SweepSpec, study: optuna.Study) -> None:
    """Raise :class:`BudgetSpent` when one of the sweep's budgets is spent (a sweep with only
    ``n_trials`` reads nothing: a slot reads only its own trials). The study's running totals
    are read, not its trials."""
    if not has_budgets(spec):
        return
    state = spent_from_totals(spec, Spending.of(study, spec.storage_url))
    if state is not None:
        raise BudgetSpent(state)


def cancel_reason(spec: SweepSpec, study: optuna.Study) -> BudgetState | None:
    """While a trial runs: the spent budget that cancels it (``on_exhausted: cancel``)."""
    if spec.budget.on_exhausted != "cancel" or not has_budgets(spec):
        return None
    return spent_from_totals(spec, Spending.of(study, spec.storage_url))


def end_slot(
    spec: SweepSpec, study: optuna.Study, slot: int, spent: BudgetSpent, path: Path
) -> Receipt:
    """Write slot ``slot``'s "not run" receipt; the run's first such slot records the budget
    and prints the line saying which budget ended the sweep."""
    run = this_run()
    with storage_mutex(spec.storage_url, f"study:{spec.study}:budget"):
        record = read_spent(study)
        first = record is None or record.run != run
        if first:
            record_spent(study, spent.state, run)
    if first:
        print(
            f"sweeps: sweep ended: budget {spent.state.line()}; no new trial starts "
            f"({_in_flight(spec)}); finished trials are kept",
            file=sys.stderr,
            flush=True,
        )
    receipt = Receipt(spec.study, slot, -1, NOT_RUN, None, {}, 0, None, None)
    write_receipt(receipt, path)
    marker = _not_run_marker(spec, slot)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()
    return receipt


def _in_flight(spec: SweepSpec) -> str:
    if spec.budget.on_exhausted == "cancel":
        return "trials in flight are cancelled and marked for a retry"
    return "trials in flight finish"


def forget_not_run(spec: SweepSpec) -> int:
    """Remove the receipts of slots a spent budget ended (a new run looks again); how many."""
    folder = _not_run_marker(spec, 0).parent
    if not folder.is_dir():
        return 0
    paths = SweepPaths.of(spec)
    forgotten = 0
    for marker in folder.iterdir():
        paths.trial_receipt(marker.name).unlink(missing_ok=True)
        marker.unlink(missing_ok=True)
        forgotten += 1
    return forgotten


def note_run_budget(spec: SweepSpec) -> TrialBudget | None:
    """At the start of a run (the workflow's main process, not a dry run): an existing study
    records the trials this run is given, so a shortened run says so in its report and its
    comparison (sweeps.study.budget_record). A study not made yet is left to the study job,
    which records it; None then."""
    stored = storage_file(spec.storage_url)
    if stored is not None and not stored.exists():  # opening it would create it
        return None
    try:
        study = optuna.load_study(study_name=spec.study, storage=open_storage(spec.storage_url))
    except KeyError:
        return None
    return record_budget(study, spec)


def look_again(spec: SweepSpec, slots: Iterable[int]) -> None:
    """Have the next run look at ``slots`` again: it forgets their receipts at its start."""
    for slot in slots:
        marker = _not_run_marker(spec, slot)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()


def not_run_slots(spec: SweepSpec) -> list[str]:
    """The slots a spent budget ended, which a new run looks at again (nothing is changed)."""
    folder = _not_run_marker(spec, 0).parent
    return sorted(marker.name for marker in folder.iterdir()) if folder.is_dir() else []


def _not_run_marker(spec: SweepSpec, slot: int) -> Path:
    return SweepPaths.of(spec).root / "not-run" / str(slot)
