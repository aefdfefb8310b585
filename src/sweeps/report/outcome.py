"""Whether a sweep succeeded: one COMPLETE trial is enough, and so is a sweep whose trials
were all pruned (each ran and the pruner judged it). A sweep that ended otherwise is an
error (``snakemake`` exits non-zero) told in one line: what failed, most often why, where each
trial's reason is, and whether a re-run can still start trials."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import optuna
from optuna.trial import FrozenTrial, TrialState

from sweeps.report.summary import summarize
from sweeps.spec import SweepSpec
from sweeps.spec.paths import SweepPaths
from sweeps.study.keys import Attr, Key
from sweeps.study.spending import spent_budget
from sweeps.study.streak import cause_of, fail_reason

CAUSE_CHARS = 200  # the most common failure reason is shown up to this length


def verdict(study: optuna.Study, spec: SweepSpec) -> tuple[bool, str]:
    """Whether the sweep succeeded, and the line that says so (or says that no trial did)."""
    line = no_success_line(study, spec)
    if line is not None:
        return False, line
    complete = summarize(study, spec).final_counts["COMPLETE"]
    return True, f"{spec.study}: {complete} trial(s) complete"


def write_verdict(study: optuna.Study, spec: SweepSpec, path: Path) -> bool:
    """The verdict for the workflow's last step, which reads it without starting Python: a
    first line ``ok`` or ``failed``, then the line to show. Returns whether it succeeded."""
    succeeded, line = verdict(study, spec)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{'ok' if succeeded else 'failed'}\n{line}\n")
    return succeeded


def no_success_line(study: optuna.Study, spec: SweepSpec) -> str | None:
    """None when a trial of the sweep completed; else the line saying that none did."""
    trials = study.get_trials(deepcopy=False)
    if any(t.state == TrialState.COMPLETE for t in trials):
        return None
    final = [t for t in trials if t.state.is_finished() and not t.system_attrs.get(Key.RETRYABLE)]
    failed = [t for t in final if t.state == TrialState.FAIL]
    pruned = sum(t.state == TrialState.PRUNED for t in final)
    if pruned and not failed:  # every trial ran and was judged by the pruner: no fault to tell
        return None
    counts = f"{len(failed)} failed, {pruned} pruned of {spec.budget.n_trials} trial slots"
    root = SweepPaths.of(spec).root
    where = (
        f"each trial's reason: {root / 'trials.csv'} (column user_attrs_{Attr.FAIL_REASON}), "
        f"{root / 'report.html'}"
    )
    return (
        f"sweeps: no trial of sweep {spec.study!r} succeeded ({counts}){_most_common(failed)}; "
        f"{where}; {_next_step(spec, trials, len(final), bool(failed))}"
    )


def _most_common(failed: list[FrozenTrial]) -> str:
    """``; most of them (6): <a real reason of the most common cause>``, or nothing."""
    if not failed:
        return ""
    by_cause = Counter(cause_of(t) for t in failed)
    key, count = by_cause.most_common(1)[0]
    reason = fail_reason(next(t for t in reversed(failed) if cause_of(t) == key))
    if len(reason) > CAUSE_CHARS:
        reason = reason[: CAUSE_CHARS - 1] + "…"
    which = "all" if count == len(failed) else f"{count} of them"
    return f"; {which} with {reason}"


def _next_step(spec: SweepSpec, trials: list[FrozenTrial], ended: int, failed: bool) -> str:
    """What a re-run does: nothing more once the trial slots or another budget are spent."""
    budget = spent_budget(spec, trials)
    if budget is not None:
        fix = "fix the cause, raise that budget" if failed else "raise that budget"
        return f"budget {budget.line()}: {fix} and run again"
    if ended >= spec.budget.n_trials:
        return (
            f"budget.n_trials ({spec.budget.n_trials}) is spent: fix the cause, then raise "
            "budget.n_trials to run more trials"
        )
    return "fix the cause and run again: the slots left start trials"
