"""The LCBench surrogate's published figures and their checks (benchmarks/lcbench_compare.py,
benchmarks/lcbench_sweeps.py and the tests): random configurations of a sweep's space evaluated
in batches, the random-search reference, each instance's data range, and sampler and pruner
runs."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna
from _published_stats import expected_best

from sweeps.objectives.lcbench import DEFAULT_INSTANCE, INPUTS, MAX_EPOCH, curve, predict
from sweeps.shipped import published_sweeps
from sweeps.spec import SweepSpec, load_spec
from sweeps.spec.samplers import build_pruner
from sweeps.spec.space import distributions

POOL = 20000  # random configurations behind the random-search reference
POOL_SEED = 0  # the RandomSampler seed of the pool the sweep files' computed figures are of
BEST_OF = (10, 50, 100)
STATISTICS = "instance_target_statistics.csv"  # in the surrogate's directory
SCENARIO, METRIC = "lcbench", "val_accuracy"
# The figures' names in the sweep files' published blocks.
DATA_MIN, DATA_MAX, POOL_MAX = "data min", "data max", "max"


def best_of_name(n: int) -> str:
    return f"E[best of {n}]"


# Random search over 20,000 configurations at epoch 52 (val_accuracy), as the published
# material's README gives it for three instances; their sweep files carry these.
REFERENCE: dict[str, dict[str | int, float]] = {
    "167168": {POOL_MAX: 88.14, 10: 72.84, 50: 79.14, 100: 80.89},
    "189873": {POOL_MAX: 92.12, 10: 62.53, 50: 78.16, 100: 81.82},
    "189906": {POOL_MAX: 91.85, 10: 82.79, 50: 87.18, 100: 88.24},
}
# The data-range check. The surrogate is a model fitted to the LCBench data, so a few of its
# values may lie beyond the data's extremes: at most OUTSIDE_SHARE of the values may lie
# outside [min, max], and none by more than RANGE_TOLERANCE accuracy points.
RANGE_TOLERANCE = 3.0
OUTSIDE_SHARE = 0.001
Z = 4.0  # standard errors by which a recomputed E[best of n] may differ from the shipped one


def sweep_name(instance: str) -> str:
    return f"lcbench-{instance}"


def load_sweep(instance: str = DEFAULT_INSTANCE) -> SweepSpec:
    return load_spec(published_sweeps()[sweep_name(instance)])


def read_ranges(path: Path) -> dict[str, tuple[float, float]]:
    """Each instance's (min, max) val_accuracy over the LCBench data, from the target
    statistics file (rows of scenario lcbench)."""
    found: dict[str, dict[str, float]] = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["scenario"] == SCENARIO and row["metric"] == METRIC:
                found.setdefault(row["instance"], {})[row["statistic"]] = float(row["value"])
    return {instance: (got["min"], got["max"]) for instance, got in found.items()}


def random_configurations(spec: SweepSpec, n: int, seed: int) -> np.ndarray:
    """``n`` configurations of the sweep's space as ``RandomSampler(seed)`` draws them in a
    study (the same values, without the study's cost), one row each in the surrogate's
    input order."""
    dists = distributions(spec)
    sampler = optuna.samplers.RandomSampler(seed=seed)
    nobody: Any = None  # the random sampler reads neither the study nor the trial
    draws = [
        {name: sampler.sample_independent(nobody, nobody, name, d) for name, d in dists.items()}
        for _ in range(n)
    ]
    return np.array([[float(d[name]) for name in INPUTS[1:]] for d in draws])


def configurations_of(specs: list[SweepSpec], n: int, seed: int) -> list[np.ndarray]:
    """:func:`random_configurations` of each sweep, drawn once per distinct space."""
    drawn: list[tuple[SweepSpec, np.ndarray]] = []
    for spec in specs:
        if not any(other.space == spec.space for other, _ in drawn):
            drawn.append((spec, random_configurations(spec, n, seed)))
    return [next(c for other, c in drawn if other.space == spec.space) for spec in specs]


def accuracies(
    configs: np.ndarray, instance: str, epochs: tuple[int, ...], model_dir: str | None = None
) -> np.ndarray:
    """val_accuracy of each configuration (rows) at each of ``epochs`` (columns)."""
    steps = np.repeat(np.asarray(epochs, dtype=float), len(configs))
    rows = np.column_stack([steps, np.tile(configs, (len(epochs), 1))])
    values = predict(rows, instance, model_dir)[METRIC].astype(float)
    return values.reshape(len(epochs), len(configs)).T


def final_accuracies(
    configs: np.ndarray, instance: str, model_dir: str | None = None
) -> np.ndarray:
    """val_accuracy at epoch 52 of each configuration."""
    return accuracies(configs, instance, (MAX_EPOCH,), model_dir)[:, 0]


def random_final_accuracies(
    spec: SweepSpec, instance: str, n: int, seed: int, model_dir: str | None = None
) -> np.ndarray:
    """Final-epoch validation accuracy of ``n`` random configurations of the sweep's space."""
    return final_accuracies(random_configurations(spec, n, seed), instance, model_dir)


def expected_best_accuracy(finals: np.ndarray, n: int) -> float:
    return -expected_best(-finals, n)


def expected_best_se(
    finals: np.ndarray, ns: tuple[int, ...], rng: np.random.Generator, resamples: int = 200
) -> dict[int, float]:
    """The bootstrap standard error of :func:`expected_best_accuracy` from ``finals``, per n."""
    size = len(finals)
    draws = np.sort(finals[rng.integers(0, size, size=(resamples, size))], axis=1)
    below = np.arange(size + 1) / size  # P(a draw is at most the k-th lowest), k = 0..size
    # The best of n is the k-th lowest with probability below[k + 1]**n - below[k]**n.
    return {n: float(np.std(draws @ np.diff(below**n), ddof=1)) for n in ns}


def pool_reference(finals: np.ndarray) -> dict[str | int, float]:
    """The random-search reference of a pool, rounded as the published figures are."""
    reference: dict[str | int, float] = {POOL_MAX: round(float(finals.max()), 2)}
    for n in BEST_OF:
        reference[n] = round(expected_best_accuracy(finals, n), 2)
    return reference


@dataclass(frozen=True)
class RangeCheck:
    """Where the surrogate's values lie against an instance's data range."""

    low: float
    high: float
    lowest: float
    highest: float
    outside: int
    values: int

    @property
    def beyond(self) -> float:
        """How far the farthest value lies outside [low, high] (0: none does)."""
        return max(self.low - self.lowest, self.highest - self.high, 0.0)

    @property
    def passed(self) -> bool:
        return self.beyond <= RANGE_TOLERANCE and self.outside <= OUTSIDE_SHARE * self.values

    def verdict(self) -> str:
        if not self.outside:
            return "inside"
        share = f"{self.outside} of {self.values} outside, by up to {self.beyond:.2f}"
        return f"{share}: {'within' if self.passed else 'beyond'} the tolerance"


def range_check(values: np.ndarray, low: float, high: float) -> RangeCheck:
    values = np.asarray(values, dtype=float).ravel()
    outside = int(np.count_nonzero((values < low) | (values > high)))
    return RangeCheck(low, high, float(values.min()), float(values.max()), outside, values.size)


def shipped_figures(spec: SweepSpec) -> dict[str, float]:
    """The values of the sweep's published figures, by name."""
    assert spec.published is not None, spec.study
    return {f.name: f.value for f in spec.published.figures if f.value is not None}


@dataclass(frozen=True)
class InstanceCheck:
    """An instance's shipped figures against the surrogate: the data range against its values
    on random configurations, and the random-search reference recomputed from them."""

    instance: str
    shipped: dict[str, float]
    range: RangeCheck
    ours: dict[str | int, float]  # max and E[best of n] of the recomputation, unrounded
    se: dict[int, float]  # standard error of the difference of each E[best of n]

    def z(self, n: int) -> float:
        return (self.ours[n] - self.shipped[best_of_name(n)]) / self.se[n]

    def problems(self) -> list[str]:
        """What does not hold, one phrase each (empty: the check passed)."""
        found = [] if self.range.passed else [f"range: {self.range.verdict()}"]
        high = self.shipped[DATA_MAX] + RANGE_TOLERANCE
        if self.shipped[POOL_MAX] > high:
            found.append(f"shipped max {self.shipped[POOL_MAX]} above the data max + tolerance")
        found += [
            f"{best_of_name(n)} differs by {self.z(n):+.1f} standard errors"
            for n in BEST_OF
            if abs(self.z(n)) > Z
        ]
        return found

    @property
    def passed(self) -> bool:
        return not self.problems()

    def verdict(self) -> str:
        if self.problems():
            return "fails: " + "; ".join(self.problems())
        worst = max(abs(self.z(n)) for n in BEST_OF)
        return f"passes (range {self.range.verdict()}; E[best of n] within {worst:.1f} s.e.)"


def check_figures(
    spec: SweepSpec,
    configs: np.ndarray,
    curves: int,
    rng: np.random.Generator,
    model_dir: str | None = None,
) -> InstanceCheck:
    """Check the sweep's shipped figures on ``configs`` (random configurations of its space):
    every one at epoch 52, the first ``curves`` at the earlier epochs as well. The recomputation's
    standard errors (bootstrap) are widened for the shipped figures' own, of a pool of
    :data:`POOL`."""
    instance = str(spec.objective.args["instance"])
    shipped = shipped_figures(spec)
    finals = final_accuracies(configs, instance, model_dir)
    earlier = accuracies(configs[:curves], instance, tuple(range(1, MAX_EPOCH)), model_dir)
    values = np.concatenate([finals, earlier.ravel()])
    ours: dict[str | int, float] = {POOL_MAX: float(finals.max())}
    ours.update({n: expected_best_accuracy(finals, n) for n in BEST_OF})
    widen = np.sqrt(1 + len(finals) / POOL)
    se = {n: e * widen for n, e in expected_best_se(finals, BEST_OF, rng).items()}
    checked = range_check(values, shipped[DATA_MIN], shipped[DATA_MAX])
    return InstanceCheck(instance, shipped, checked, ours, se)


@dataclass(frozen=True)
class RunSummary:
    best: float
    epochs: int
    pruned: int


def run(
    spec: SweepSpec,
    instance: str,
    sampler: str,
    n_trials: int,
    seed: int,
    prune: bool,
    model_dir: str | None = None,
) -> RunSummary:
    """A sequential in-process sweep; epochs counts every epoch the trials ran."""
    chosen: optuna.samplers.BaseSampler = (
        optuna.samplers.TPESampler(seed=seed, **spec.sampler.args)
        if sampler == "TPESampler"
        else optuna.samplers.RandomSampler(seed=seed)
    )
    pruner = build_pruner(spec) if prune else optuna.pruners.NopPruner()
    study = optuna.create_study(direction="maximize", sampler=chosen, pruner=pruner)
    dists = distributions(spec)
    epochs = 0
    for _ in range(n_trials):
        trial = study.ask(dists)
        accuracy = curve(trial.params, instance, model_dir=model_dir)[METRIC]
        state: Any = optuna.trial.TrialState.COMPLETE
        for epoch, value in enumerate(accuracy, start=1):
            trial.report(float(value), epoch)
            epochs += 1
            if trial.should_prune():
                state = optuna.trial.TrialState.PRUNED
                break
        if state == optuna.trial.TrialState.PRUNED:
            study.tell(trial, state=state)
        else:
            study.tell(trial, float(accuracy[-1]))
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    return RunSummary(study.best_value, epochs, pruned)
