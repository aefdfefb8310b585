"""The Bayesmark sweeps against the NeurIPS 2020 BBO challenge's random-search baselines, over
pools of hundreds of random draws (benchmarks/bayesmark_compare.py).

Per problem: the published ``clip`` against the median single random loss, random search's
expected best at 1, 5 and 10 evaluations against the published ``mean``, and TPE's mean best at
15 against random search's. Method and caveats: docs/reproducing.md (Bayesmark).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import optuna
from _published_stats import bootstrap_ci, expected_best

from sweeps.job.seeding import seed_everything
from sweeps.objectives.bayesmark import approximate, problems
from sweeps.objectives.bayesmark import problem as evaluate_problem
from sweeps.report.published import median_ci
from sweeps.shipped import published_sweeps
from sweeps.spec import load_spec
from sweeps.spec.seeds import derive_seed
from sweeps.spec.space import distributions

PROBLEMS = tuple(problems())
# Problems whose median single random loss is expected to equal the published clip exactly.
EXACT_CLIP = frozenset(
    {"SVM_wine_acc", "kNN_wine_acc", "kNN_breast_acc", "DT_wine_nll", "RF_breast_acc"}
)
CHECKPOINTS = (1, 5, 10)
# The reference baseline: 100 iterations x batch 1, the largest pool of batch-1 random search.
BASELINE = "baseline-100-1.json"


@dataclass(frozen=True)
class Published:
    clip: float
    best: float
    mean: list[float]
    median: list[float] = field(default_factory=list)


@dataclass
class ProblemResult:
    problem: str
    n_random: int
    median: float
    published: Published
    median_ci: tuple[float, float] = (float("nan"), float("nan"))
    expected: dict[int, float] = field(default_factory=dict)
    ci: dict[int, tuple[float, float]] = field(default_factory=dict)
    random_best15: float = float("nan")
    tpe_best15: float | None = None

    @property
    def median_ok(self) -> bool:
        return abs(self.median - self.published.clip) <= 1e-9

    @property
    def clip_in_median_ci(self) -> bool:
        low, high = self.median_ci
        return low - 1e-9 <= self.published.clip <= high + 1e-9

    def in_ci(self, n: int) -> bool:
        low, high = self.ci[n]
        return low <= self.published.mean[n - 1] <= high

    @property
    def tpe_beats_random(self) -> bool | None:
        return None if self.tpe_best15 is None else self.tpe_best15 < self.random_best15


def read_published(path: Path, problem: str) -> Published:
    """The published figures of one problem from a baseline file (``_visible_to_opt``)."""
    data = json.loads(path.read_text())["data"]
    index = data["coords"]["function"]["data"].index(problem)
    objective = data["coords"]["objective"]["data"].index("_visible_to_opt")
    values = data["data_vars"]
    iters = len(data["coords"]["iter"]["data"])
    return Published(
        clip=values["clip"]["data"][index][objective],
        best=values["best"]["data"][index][objective],
        mean=[values["mean"]["data"][t][index][objective] for t in range(iters)],
        median=[values["median"]["data"][t][index][objective] for t in range(iters)],
    )


def sweep_file(problem: str) -> Path:
    """The shipped sweep file of a problem (package data, or the checkout's config/)."""
    return published_sweeps()[f"bayesmark-{problem}"]


Store = Callable[[int, dict[str, Any], float], None]


def sample_losses(
    problem: str,
    n: int,
    seed: int,
    sampler: str | None = None,
    done: dict[int, float] | None = None,
    store: Store | None = None,
) -> list[float]:
    """``n`` evaluations asked by the sweep's sampler (or ``sampler``), in order.

    ``done`` holds losses already evaluated (by draw number): they are told, not recomputed,
    so a random search resumes with the same draws; ``store`` is called with each new one.
    """
    spec = load_spec(sweep_file(problem))
    dists = distributions(spec)
    args = spec.objective.args
    chosen = _sampler(sampler or spec.sampler.name, seed)
    study = optuna.create_study(direction="minimize", sampler=chosen)
    done = done or {}
    losses = []
    for _ in range(n):
        trial = study.ask(dists)
        if trial.number in done:
            loss = done[trial.number]
        else:
            # As the sweep runner does: trees and forests are unseeded in bayesmark.
            seed_everything(derive_seed(seed, trial.number))
            loss = evaluate_problem(dict(trial.params), **args)
            if store is not None:
                store(trial.number, dict(trial.params), loss)
        study.tell(trial, loss)
        losses.append(loss)
    return losses


def _sampler(name: str, seed: int) -> optuna.samplers.BaseSampler:
    if name == "TPESampler":
        # Pinned: the challenge's budget is 15, so start modelling after 5 random points.
        return optuna.samplers.TPESampler(
            seed=seed, n_startup_trials=5, multivariate=True, constant_liar=False
        )
    sampler: optuna.samplers.BaseSampler = getattr(optuna.samplers, name)(seed=seed)
    return sampler


def compare_problem(
    problem: str,
    published: Published,
    n_random: int,
    tpe_seeds: int,
    seed: int = 0,
    resamples: int = 2000,
    log: Path | None = None,
) -> ProblemResult:
    """Run the comparison for one problem; with ``log``, every random evaluation is appended
    to that JSON-lines file as it finishes and the ones already there are reused."""
    done = read_log(log, seed) if log is not None else {}
    store = (lambda i, p, loss: append_log(log, seed, i, p, loss)) if log is not None else None
    losses = np.asarray(sample_losses(problem, n_random, seed, done=done, store=store))
    result = ProblemResult(
        problem, n_random, float(np.median(losses)), published, median_ci(losses)
    )
    rng = np.random.default_rng(seed)
    for n in CHECKPOINTS:
        result.expected[n] = expected_best(losses, n, published.clip)
        result.ci[n] = bootstrap_ci(losses, n, published.clip, rng, resamples)
    result.random_best15 = expected_best(losses, 15, published.clip)
    if tpe_seeds:
        bests = [
            min(min(sample_losses(problem, 15, seed + 1 + s, "TPESampler")), published.clip)
            for s in range(tpe_seeds)
        ]
        result.tpe_best15 = float(np.mean(bests))
    return result


def read_log(path: Path, seed: int) -> dict[int, float]:
    """Losses by draw number from an evaluation log (lines of other seeds are skipped)."""
    if not path.is_file():
        return {}
    done: dict[int, float] = {}
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:  # a line cut short when a run was stopped
            continue
        if row.get("seed") == seed:
            done[int(row["draw"])] = float(row["loss"])
    return done


def append_log(path: Path, seed: int, draw: int, params: dict[str, Any], loss: float) -> None:
    """Append one evaluation as a JSON line, flushed before the next evaluation starts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    row = {"seed": seed, "draw": draw, "params": params, "loss": loss}
    with path.open("a+b") as out:
        out.seek(0, 2)
        cut = out.tell() > 0 and (out.seek(-1, 2), out.read(1))[1] != b"\n"
        out.write(b"\n" * cut + (json.dumps(row) + "\n").encode())


def signature_points(problem: str) -> list[dict[str, Any]]:
    """Bayesmark's signature inputs (``signatures.get_func_signature``) in sweep coordinates:
    five ``RandomState(0).uniform`` draws in the warped bounds, parameters in sorted order."""
    from sweeps.objectives.bayesmark import parse_problem, space_of, sweep_space

    model, dataset, _ = parse_problem(problem)
    space = space_of(model, dataset)
    swept = sweep_space(space)
    names = sorted(space)
    keys = [f"logit_{n}" if space[n].warp == "logit" else n for n in names]
    low = [_warped(swept[k], "low") for k in keys]
    high = [_warped(swept[k], "high") for k in keys]
    draws = np.random.RandomState(0).uniform(low, high, size=(5, len(names)))
    return [
        {
            k: (math.exp(v) if swept[k].get("log") else float(v))
            for k, v in zip(keys, row, strict=True)
        }
        for row in draws
    ]


def read_signature(path: Path, problem: str) -> list[float]:
    """The published signature losses of a problem (bayesmark's five fixed points)."""
    losses: list[float] = json.loads(path.read_text())["meta"]["signature"][problem]
    return losses


def _warped(param: dict[str, Any], end: str) -> float:
    return math.log(param[end]) if param.get("log") else float(param[end])


def markdown_table(results: list[ProblemResult]) -> str:
    """The comparison as a Markdown table."""
    lines = [
        "| problem | n | median loss (95% CI) | published clip | in CI | = clip | "
        + " | ".join(f"E[best@{n}] (95% CI) vs published" for n in CHECKPOINTS)
        + " | random E[best@15] | TPE mean best@15 | TPE wins | verdict |",
        "|" + " --- |" * (6 + len(CHECKPOINTS) + 4),
    ]
    for r in results:
        cells = [
            r.problem + (" (approximate data)" if approximate(r.problem.split("_")[1]) else ""),
            str(r.n_random),
            f"{r.median:.6f} [{r.median_ci[0]:.6f}, {r.median_ci[1]:.6f}]",
            f"{r.published.clip:.6f}",
            _mark(r.clip_in_median_ci),
            _mark(r.median_ok)
            if r.problem in EXACT_CLIP
            else f"({r.median - r.published.clip:+.4f})",
        ]
        for n in CHECKPOINTS:
            low, high = r.ci[n]
            cells.append(
                f"{r.expected[n]:.4f} [{low:.4f}, {high:.4f}] vs {r.published.mean[n - 1]:.4f} "
                f"{_mark(r.in_ci(n))}"
            )
        cells.append(f"{r.random_best15:.4f}")
        cells.append("-" if r.tpe_best15 is None else f"{r.tpe_best15:.4f}")
        cells.append("-" if r.tpe_beats_random is None else _mark(r.tpe_beats_random))
        cells.append("reproduces" if passed(r) else "differs")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def passed(result: ProblemResult) -> bool:
    """The required checks: clip in the median's CI and the CI at 1, 5, 10 evaluations."""
    return result.clip_in_median_ci and all(result.in_ci(n) for n in CHECKPOINTS)


def _mark(ok: bool) -> str:
    return "yes" if ok else "NO"


def as_json(result: ProblemResult) -> dict[str, Any]:
    return {
        "problem": result.problem,
        "n_random": result.n_random,
        "median": result.median,
        "median_ci": result.median_ci,
        "median_equals_clip": result.median_ok,
        "clip": result.published.clip,
        "expected": result.expected,
        "ci": result.ci,
        "published_mean": {n: result.published.mean[n - 1] for n in CHECKPOINTS},
        "random_best15": result.random_best15,
        "tpe_best15": result.tpe_best15,
        "passed": passed(result),
    }
