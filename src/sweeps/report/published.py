"""A run of a published sweep against the figures its sweep file carries (``published:``).

Per figure: the published value, the run's comparable value, the interval or tolerance used,
and a verdict: reproduces, does not reproduce, too short to compare (fewer trials than the
figure is of), or not comparable (what one run cannot show, with the reason). A run is one
seed: a mean or median over the publication's runs gets the run's value beside it, never a
verdict, and a run whose sampler is not the publication's is labelled as that comparison.

Reads the study and the spec only; trials count in slot order, up to the first slot that has
not ended, so a partial run is compared on what it has.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.trial import FrozenTrial, TrialState

from sweeps.spec import SweepSpec
from sweeps.spec.published import Published, PublishedFigure
from sweeps.study.budget_record import TrialBudget, recorded_budget
from sweeps.study.fingerprint import fingerprint, pinned_settings
from sweeps.study.keys import Key

REPRODUCES = "reproduces"
DIFFERS = "does not reproduce"
TOO_SHORT = "too short to compare"
NOT_COMPARABLE = "not comparable"
LEVEL = 0.95  # coverage of the median's interval
ATOL = 1e-9  # a published value on the interval's end, to float rounding


class NoPublishedFigures(ValueError):
    """The sweep file has no ``published:`` block."""


def median_ci(values: Any, level: float = LEVEL) -> tuple[float, float]:
    """A distribution-free interval of the median: order statistics at binomial quantiles.

    The construction of bayesmark's ``quantiles.quantile_CI`` (coverage at least ``level``);
    the ends are -inf/+inf where the sample is too small.
    """
    y = np.sort(np.asarray(values, dtype=float))
    n = len(y)
    tail = (1 - level) / 2
    cdf = np.cumsum([math.comb(n, k) / 2**n for k in range(n + 1)])
    lower = int(np.argmax(cdf >= tail))  # smallest k with P(B <= k) >= tail
    upper = int(np.argmax(1 - cdf <= tail)) + 1  # smallest k with P(B > k) <= tail, plus one
    stats = np.concatenate(([-np.inf], y, [np.inf]))  # order statistics 1..n, padded
    return float(stats[lower]), float(stats[upper])


def fewest_for_median_ci(level: float = LEVEL) -> int:
    """The fewest values whose median interval (:func:`median_ci`) has two finite ends."""
    n = 1
    while not all(map(math.isfinite, median_ci(np.arange(n), level))):
        n += 1
    return n


@dataclass(frozen=True)
class Row:
    """One published figure beside the run's comparable value."""

    figure: str
    statistic: str
    published: float | dict[str, Any]
    ours: float | dict[str, Any] | None
    difference: float | None
    interval: str  # the interval or tolerance, as text ("-": none)
    bounds: tuple[float, float] | None  # its ends
    verdict: str
    basis: str  # what the run's value is
    detail: str  # why this verdict


@dataclass(frozen=True)
class Comparison:
    """The run and the publication, stated plainly, and one row per figure."""

    study: str
    source: str
    publication: str
    run: str
    note: str
    rows: list[Row] = field(default_factory=list)
    # The trials the study was run to and the sweep file's budget (a shortened run says so).
    budget: dict[str, Any] = field(default_factory=dict)
    shortened: str = ""  # "shortened from M to N trials (...)", or "" for the file's budget

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows": [asdict(r) for r in self.rows]}

    @property
    def reproduces(self) -> bool:
        """No figure that a verdict was given for differs."""
        return all(r.verdict != DIFFERS for r in self.rows)

    def frame(self) -> pd.DataFrame:
        """The side-by-side table."""
        return pd.DataFrame(
            [
                {
                    "figure": r.figure,
                    "statistic": r.statistic,
                    "published": _show(r.published),
                    "this run": _show(r.ours),
                    "difference": _show(r.difference, signed=True),
                    "interval or tolerance": r.interval,
                    "verdict": r.verdict,
                    "how compared": f"{r.basis}; {r.detail}",
                }
                for r in self.rows
            ]
        )

    def header(self) -> list[str]:
        lines = [f"source: {self.source}", self.publication, self.run]
        if self.shortened:
            lines.append(f"budget {self.shortened}")
        return lines + ([f"note: {self.note}"] if self.note else [])

    def text(self) -> str:
        """The comparison as plain text: the two lines on the run and the publication, the
        table, then how each figure was compared."""
        frame = self.frame()
        columns = [c for c in frame.columns if c != "how compared"]
        cells = [columns, *frame[columns].astype(str).values.tolist()]
        widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
        table = [
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            for row in cells
        ]
        how = [f"{r.figure}: {r.basis}; {r.detail}" for r in self.rows]
        title = f"{self.study} against its published figures"
        return "\n".join([title, *self.header(), "", *table, "", *how])


def compare_published(study: optuna.Study, spec: SweepSpec) -> Comparison:
    """Compare the study's run of ``spec`` with the figures of its ``published:`` block."""
    published = require_published(spec)
    budget = recorded_budget(study, spec)
    run = _Run.read(study, spec, budget)
    runs = f"{published.runs} run(s)" if published.runs else "runs: not recorded"
    return Comparison(
        study=spec.study,
        source=published.source,
        publication=f"published: {published.method}, {published.trials} trials per run; {runs}",
        run=run.describe(),
        note=published.note,
        rows=[_row(figure, published, run) for figure in published.figures],
        budget=budget.as_dict(),
        shortened=_shortened(budget),
    )


def _shortened(budget: TrialBudget) -> str:
    if not budget.shortened:
        return ""
    return (
        f"{budget.line()} (n_trials={budget.n_trials}; the sweep file's budget.n_trials is "
        f"{budget.sweep_file}): a figure of more trials than the run has is too short to compare"
    )


def require_published(spec: SweepSpec, where: str = "") -> Published:
    """The sweep's published figures; :class:`NoPublishedFigures` naming the file if none."""
    if spec.published is None:
        raise NoPublishedFigures(
            f"{where or spec.study}: sweep {spec.study!r} has no published figures "
            "(no 'published:' block)"
        )
    return spec.published


@dataclass(frozen=True)
class _Run:
    """The run as the study holds it: each slot's final trial, in slot order, and the sampler,
    pruner and seed the study was created with (the sweep file's where it recorded none)."""

    spec: SweepSpec
    budget: TrialBudget  # the trials the study was run to
    ended: list[FrozenTrial]  # slots 0..k-1, each ended
    later: int  # trials ended beyond the first slot still open
    sampler: str
    pruner: str
    seed: int
    other_settings: bool  # the study was created from other pinned settings than the spec's

    @classmethod
    def read(cls, study: optuna.Study, spec: SweepSpec, budget: TrialBudget) -> _Run:
        by_slot: dict[int, FrozenTrial] = {}
        for trial in study.get_trials(deepcopy=False):
            if not trial.state.is_finished() or trial.system_attrs.get(Key.RETRYABLE):
                continue
            slot = int(trial.system_attrs.get(Key.SLOT, trial.number))
            if slot not in by_slot or trial.number > by_slot[slot].number:
                by_slot[slot] = trial
        ended: list[FrozenTrial] = []
        while len(ended) in by_slot:
            ended.append(by_slot[len(ended)])
        pinned = json.loads(study.user_attrs.get(Key.PINNED, "{}"))
        stored = study.user_attrs.get(Key.FINGERPRINT)
        return cls(
            spec,
            budget,
            ended,
            len(by_slot) - len(ended),
            sampler=pinned.get("sampler", {}).get("name", spec.sampler.name),
            pruner=pinned.get("pruner", {}).get("name", spec.pruner.name),
            seed=pinned.get("seed", spec.seed),
            other_settings=stored not in (None, fingerprint(pinned_settings(spec))),
        )

    @property
    def label(self) -> str:
        """The sampler (and pruner) that chose this run's trials."""
        return self.sampler + ("" if self.pruner == "NopPruner" else f" with {self.pruner}")

    @property
    def metric(self) -> str:
        return self.spec.metrics[0] if self.spec.metrics else "value"

    def describe(self) -> str:
        states = Counter(t.state for t in self.ended)
        later = f"; {self.later} more ended after a slot still open" if self.later else ""
        other = (
            "; the study was created from other pinned settings than this sweep file's"
            if self.other_settings
            else ""
        )
        return (
            f"this run: {len(self.ended)} of {self.budget.n_trials} trials ended in slot "
            f"order ({states[TrialState.COMPLETE]} complete, {states[TrialState.PRUNED]} "
            f"pruned, {states[TrialState.FAIL]} failed){later}; 1 run (seed {self.seed}); "
            f"{self.label}{other}"
        )

    def short(self, needs: int, why: str = "") -> str:
        return f"{len(self.ended)} trials run, the figure needs {needs}{why}"

    def complete_of(self, trials: list[FrozenTrial]) -> str:
        done = sum(t.state == TrialState.COMPLETE for t in trials)
        return f" ({done} of {len(trials)} complete)"

    def best(self, trials: list[FrozenTrial]) -> float | None:
        values = [t.values[0] for t in trials if t.state == TrialState.COMPLETE]
        if not values:
            return None
        return min(values) if self.minimize else max(values)

    @property
    def minimize(self) -> bool:
        return self.spec.directions[0] == "minimize"

    def clipped(self, value: float, clip: float) -> float:
        """``value`` no worse than ``clip`` (bayesmark's clipped best-so-far)."""
        return min(value, clip) if self.minimize else max(value, clip)


def _row(figure: PublishedFigure, published: Published, run: _Run) -> Row:
    build = {
        "median_single": _median_single,
        "mean_best": _over_runs,
        "median_best": _over_runs,
        "best_of_pool": _best_of_pool,
        "best_params": _best_params,
        "reference": _reference,
        "data_min": _data_extreme,
        "data_max": _data_extreme,
    }[figure.statistic]
    return build(figure, published, run)


def _statistic(figure: PublishedFigure, method: str) -> str:
    after = figure.after
    clip = f", each clipped at {figure.clip:.6g}" if figure.clip is not None else ""
    return {
        "median_single": f"median of single {method} evaluations",
        "mean_best": f"mean over runs of the best after {after} trials{clip}",
        "median_best": f"median over runs of the best after {after} trials{clip}",
        "best_of_pool": f"best of {after} {method} evaluations",
        "best_params": f"parameters of the best of {after} {method} evaluations",
        "reference": f"a reference value, not of {method}",
        "data_min": "the lowest value in the data the objective was fitted to",
        "data_max": "the highest value in the data the objective was fitted to",
    }[figure.statistic]


def _make(
    figure: PublishedFigure,
    published: Published,
    ours: float | dict[str, Any] | None,
    verdict: str,
    basis: str,
    detail: str,
    bounds: tuple[float, float] | None = None,
) -> Row:
    value = figure.value if figure.value is not None else dict(figure.params or {})
    difference = None
    if isinstance(ours, float) and figure.value is not None:
        difference = ours - figure.value
    note = f" ({figure.note})" if figure.note else ""
    return Row(
        figure=figure.name,
        statistic=_statistic(figure, published.method),
        published=value,
        ours=ours,
        difference=difference,
        interval="-" if bounds is None else f"[{bounds[0]:.6g}, {bounds[1]:.6g}]",
        bounds=bounds,
        verdict=verdict,
        basis=basis,
        detail=detail + note,
    )


def _median_single(figure: PublishedFigure, published: Published, run: _Run) -> Row:
    assert figure.value is not None
    method, needs = published.method, fewest_for_median_ci()
    values = [t.values[0] for t in run.ended if t.state == TrialState.COMPLETE]
    ours = float(np.median(values)) if values else None
    basis = f"median of this run's {len(values)} complete {run.metric} values"
    if run.sampler != method:
        why = f"the figure is of {method} draws; this run's trials were drawn by {run.label}"
        return _make(figure, published, ours, NOT_COMPARABLE, basis, why)
    if len(run.ended) < needs:
        why = f" (the fewest with a finite {LEVEL:.0%} interval of the median)"
        return _make(figure, published, ours, TOO_SHORT, basis, run.short(needs, why))
    if len(values) < len(run.ended):
        lost = Counter(t.state.name for t in run.ended if t.state != TrialState.COMPLETE)
        why = (
            f"{len(run.ended) - len(values)} of {len(run.ended)} trials ended without a value "
            f"({', '.join(f'{n} {s}' for s, n in sorted(lost.items()))}); the figure is the "
            "median of every evaluation"
        )
        return _make(figure, published, ours, NOT_COMPARABLE, basis, why)
    low, high = median_ci(values)
    inside = low - ATOL <= figure.value <= high + ATOL
    why = (
        f"the published value lies {'inside' if inside else 'outside'} the distribution-free "
        f"{LEVEL:.0%} interval of the median of {len(values)} {method} draws (order "
        f"statistics at binomial quantiles, ends widened by {ATOL:g})"
    )
    verdict = REPRODUCES if inside else DIFFERS
    return _make(figure, published, ours, verdict, basis, why, (low, high))


def _first(run: _Run, figure: PublishedFigure) -> list[FrozenTrial] | None:
    assert figure.after is not None
    return run.ended[: figure.after] if len(run.ended) >= figure.after else None


def _over_runs(figure: PublishedFigure, published: Published, run: _Run) -> Row:
    assert figure.after is not None
    first = _first(run, figure)
    basis = f"this run's best {run.metric} after {figure.after} trials"
    if figure.clip is not None:
        basis += f", clipped at {figure.clip:.6g} as the figure's"
    if first is None:
        return _make(figure, published, None, TOO_SHORT, basis, run.short(figure.after))
    best = run.best(first)
    basis += run.complete_of(first)
    if best is not None and figure.clip is not None:
        best = run.clipped(best, figure.clip)
    over = "mean" if figure.statistic == "mean_best" else "median"
    runs = f"{published.runs} run(s)" if published.runs else "runs (how many is not recorded)"
    why = (
        f"a {over} over runs of {figure.after} trials, from the publication's {runs} of "
        f"{published.trials}; one run is one draw of the best after {figure.after}, so no "
        f"verdict: the row sets this run's {run.label} beside published {published.method}"
    )
    if best is None:
        why = f"no trial of the first {figure.after} completed; " + why
    return _make(figure, published, best, NOT_COMPARABLE, basis, why)


def _best_of_pool(figure: PublishedFigure, published: Published, run: _Run) -> Row:
    assert figure.after is not None and figure.value is not None
    first = _first(run, figure)
    basis = f"this run's best {run.metric} of its first {figure.after} trials"
    if first is None:
        return _make(figure, published, None, TOO_SHORT, basis, run.short(figure.after))
    best = run.best(first)
    basis += run.complete_of(first)
    tolerance = figure.tolerance
    lost = sum(t.state != TrialState.COMPLETE for t in first)
    if run.sampler != published.method:
        why = (
            f"the figure is of {published.method} evaluations; this run's trials were drawn by "
            f"{run.label}: the row sets one beside the other"
        )
    elif tolerance is None:
        why = (
            f"the best of one set of {figure.after} {published.method} evaluations is one "
            "draw, and the publication gives no spread to judge one run by"
        )
    elif lost or best is None:
        why = f"{lost} of the {figure.after} trials ended without a value; the figure is of all"
    else:
        inside = tolerance.low <= best <= tolerance.high
        why = f"this run's best lies {'inside' if inside else 'outside'} the tolerance: "
        verdict = REPRODUCES if inside else DIFFERS
        band = (tolerance.low, tolerance.high)
        return _make(figure, published, best, verdict, basis, why + tolerance.basis, band)
    return _make(figure, published, best, NOT_COMPARABLE, basis, why)


def _best_params(figure: PublishedFigure, published: Published, run: _Run) -> Row:
    assert figure.after is not None and figure.params is not None
    first = _first(run, figure)
    basis = f"parameters of this run's best of its first {figure.after} trials"
    if first is None:
        return _make(figure, published, None, TOO_SHORT, basis, run.short(figure.after))
    complete = [t for t in first if t.state == TrialState.COMPLETE]
    ranked = sorted(complete, key=lambda t: t.values[0], reverse=not run.minimize)
    if not ranked:
        why = f"no trial of the first {figure.after} completed"
        return _make(figure, published, None, NOT_COMPARABLE, basis, why)
    winner = dict(ranked[0].params)
    ranks = [i for i, t in enumerate(ranked, start=1) if t.params == figure.params]
    place = f"ranks {ranks[0]} of {len(ranked)} here" if ranks else "is not among its trials"
    same = "is" if winner == figure.params else "is not"
    why = (
        "which configuration wins varies with the seed, and one run gives one winner: this "
        f"run's {same} the published one, which {place}"
    )
    return _make(figure, published, winner, NOT_COMPARABLE, basis, why)


def _reference(figure: PublishedFigure, published: Published, run: _Run) -> Row:
    best = run.best(run.ended)
    basis = f"this run's best {run.metric} of its {len(run.ended)} trials"
    why = f"a reference the publication gives, not a statistic of its {published.method} runs"
    return _make(figure, published, best, NOT_COMPARABLE, basis, why)


def _data_extreme(figure: PublishedFigure, published: Published, run: _Run) -> Row:
    assert figure.value is not None
    lowest = figure.statistic == "data_min"
    values = [v for t in run.ended for v in t.intermediate_values.values()]
    values += [t.values[0] for t in run.ended if t.state == TrialState.COMPLETE]
    word = "lowest" if lowest else "highest"
    basis = (
        f"this run's {word} {run.metric} of {len(values)} values (every step reported and "
        f"final value of its {len(run.ended)} trials)"
    )
    why = (
        f"the figure is of the data, not of {published.method} runs, and a fitted objective "
        "may lie beyond the data's range"
    )
    if not values:
        return _make(figure, published, None, NOT_COMPARABLE, basis, f"no value yet; {why}")
    ours = float(min(values) if lowest else max(values))
    beyond = ours < figure.value if lowest else ours > figure.value
    side = ("below" if lowest else "above") if beyond else "within"
    why = f"this run's {word} lies {side} the data's {word if beyond else 'range'}; {why}"
    return _make(figure, published, ours, NOT_COMPARABLE, basis, why)


def _show(value: Any, signed: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:+.6g}" if signed else f"{value:.6g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)
