"""WandbHyperbandPruner against W&B's own hyperband rule, decision for decision.

The oracle below is W&B's ``hyperband_stop_runs`` re-implemented from ``wandb/sweeps``
(``src/sweeps/hyperband_stopping.py``, function ``hyperband_stop_runs``; run histories as
``SweepRun.metric_history(filter_invalid=True)`` in ``src/sweeps/run.py``, defaults
``eta: 3`` and ``strict: true`` from ``src/sweeps/config/schema.json``), kept line for line so
it can be compared with that source. Both see the same sweep: runs report one value at a time
in a shuffled order, and after every report each running run is judged by both.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import optuna
import pytest

from sweeps.spec.wandb_hyperband import WandbHyperbandPruner

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _is_number(x: Any) -> bool:
    """``sweeps.run.is_number``."""
    try:
        return bool(np.isscalar(x) and np.isfinite(x) and not isinstance(x, bool))
    except TypeError:
        return False


def wandb_hyperband_stop_runs(runs: list[dict[str, Any]], config: dict[str, Any]) -> list[str]:
    """W&B's ``hyperband_stop_runs``: the names of the running runs to stop."""
    et_config = {"eta": 3, "strict": True, **config["early_terminate"]}
    if "max_iter" in et_config:
        max_iter = et_config["max_iter"]
        s = et_config["s"]
        eta = et_config["eta"]
        band = max_iter
        bands = []
        for _i in range(s):
            band /= eta
            if band < 1:
                break
            bands.append(int(band))
        bands = sorted(bands)
    elif "min_iter" in et_config:
        min_iter = et_config["min_iter"]
        eta = et_config["eta"]
        band = min_iter
        bands = []
        for _i in range(100):
            bands.append(int(band))
            band *= eta
    r = 1.0 / eta
    metric_name = config["metric"]["name"]

    def metric_history(run: dict[str, Any]) -> list[float]:
        return [
            d[metric_name]
            for d in run["history"]
            if metric_name in d and _is_number(d[metric_name])
        ]

    all_run_histories = []
    for run in runs:
        history = metric_history(run)
        if config["metric"]["goal"] == "maximize":
            history = [-x for x in history]
        if len(history) > 0:
            all_run_histories.append(history)
    thresholds = []
    for band in bands:
        band_values = [h[band - 1] for h in all_run_histories if len(h) >= band]
        if len(band_values) == 0:
            threshold = np.inf
        else:
            threshold = sorted(band_values)[int(r * len(band_values))]
        thresholds.append(threshold)
    terminate_runs = []
    for run in runs:
        if run["state"] == "running":
            history = metric_history(run)
            if config["metric"]["goal"] == "maximize":
                history = [-x for x in history]
            closest_band = -1
            closest_threshold = 0.0
            for band, threshold in zip(bands, thresholds, strict=True):
                if band <= len(history):
                    closest_band = band
                    closest_threshold = threshold
                else:
                    break
            if closest_band != -1:
                condition_val = min(history)
                if et_config.get("strict") is True:
                    condition_val = history[closest_band - 1]
                if condition_val > closest_threshold:
                    terminate_runs.append(run["name"])
    return terminate_runs


RULES = [
    {"max_iter": 27, "s": 2, "eta": 3},  # the published example files
    {"max_iter": 27, "s": 2, "eta": 3, "strict": False},
    {"max_iter": 5, "s": 2, "eta": 2},  # W&B's docstring example
    {"max_iter": 20, "s": 3, "eta": 2.5},
    {"max_iter": 9, "s": 5, "eta": 3},  # s beyond the bands that are at least 1
    {"min_iter": 1},
    {"min_iter": 2, "eta": 2},
    {"min_iter": 3, "eta": 3, "strict": False},
    {"min_iter": 1, "eta": 1.5},  # repeated bands: 1, 1, 2, 3, 5, ...
    {"min_iter": 4, "max_iter": 16, "s": 2, "eta": 2},  # max_iter wins, as in W&B
]


def _value(rng: random.Random) -> float:
    """Ties (a few levels), and now and then a value W&B leaves out of a history."""
    draw = rng.random()
    if draw < 0.03:
        return math.nan
    if draw < 0.05:
        return math.inf
    return float(rng.randint(0, 12))


def _simulate(rule: dict[str, Any], goal: str, seed: int) -> tuple[int, int]:
    """Run a sweep of 14 runs reporting in a random order; judge after every report.

    Returns (decisions compared, stops)."""
    rng = random.Random(seed)
    config = {"metric": {"name": "loss", "goal": goal}, "early_terminate": rule}
    args = {k: v for k, v in rule.items()}
    study = optuna.create_study(direction=goal, pruner=WandbHyperbandPruner(**args))
    lengths = [rng.randint(1, 30) for _ in range(14)]
    runs = [{"name": str(i), "state": "running", "history": []} for i in range(14)]
    trials = [study.ask() for _ in range(14)]
    first_step = rng.choice([0, 1])  # the pruner counts values, not step numbers
    live = set(range(14))
    compared = stops = 0
    while live:
        i = rng.choice(sorted(live))
        value = _value(rng)
        runs[i]["history"].append({"loss": value, "_step": len(runs[i]["history"])})
        trials[i].report(value, first_step + len(runs[i]["history"]) - 1)
        if len(runs[i]["history"]) == lengths[i]:
            runs[i]["state"] = "finished"
            study.tell(trials[i], 0.0)
            live.discard(i)
        expected = set(wandb_hyperband_stop_runs(runs, config))
        frozen = {t.number: t for t in study.get_trials(deepcopy=False)}
        decided = {str(j) for j in live if study.pruner.prune(study, frozen[trials[j].number])}
        assert decided == expected, (rule, goal, seed, runs)
        compared += len(live)
        for name in expected:
            j = int(name)
            runs[j]["state"] = "killed"
            study.tell(trials[j], state=optuna.trial.TrialState.PRUNED)
            live.discard(j)
            stops += 1
    return compared, stops


@pytest.mark.parametrize("goal", ["minimize", "maximize"])
@pytest.mark.parametrize("rule", RULES, ids=lambda r: ",".join(f"{k}={v}" for k, v in r.items()))
def test_same_decisions_as_wandb_at_every_report(rule: dict[str, Any], goal: str) -> None:
    compared = stops = 0
    for seed in range(6):
        c, s = _simulate(rule, goal, seed)
        compared, stops = compared + c, stops + s
    assert stops > 0 and compared > stops  # both outcomes were exercised


@pytest.mark.parametrize("goal", ["minimize", "maximize"])
def test_wandbs_own_min_iter_case(goal: str) -> None:
    """W&B's ``tests/test_hyperband_stopping.py::test_hyperband_min_iter_bands`` (and its
    ``_max`` twin): a flat run is stopped at band 3, an improving one is not."""
    sign = 1 if goal == "minimize" else -1
    study = optuna.create_study(direction=goal, pruner=WandbHyperbandPruner(min_iter=3, eta=3))
    flat, improving = study.ask(), study.ask()
    for step in range(4):
        flat.report(10, step)
    for step in range(10):
        improving.report(10 - sign * step, step)
    trials = study.get_trials(deepcopy=False)
    assert [study.pruner.prune(study, t) for t in trials] == [True, False]


@pytest.mark.parametrize(
    ("args", "bands"),
    [
        ({"max_iter": 27, "s": 2}, [3, 9]),
        ({"max_iter": 27, "s": 3, "eta": 3}, [1, 3, 9]),
        ({"max_iter": 10, "s": 4, "eta": 3}, [1, 3]),
        ({"min_iter": 2, "eta": 2}, [2 * 2**k for k in range(100)]),
    ],
)
def test_bands(args: dict[str, Any], bands: list[int]) -> None:
    assert WandbHyperbandPruner(**args).bands == bands


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({}, "max_iter with s, or min_iter"),
        ({"max_iter": 27}, "integer s"),
        ({"max_iter": 2, "s": 2, "eta": 3}, "no band"),
        ({"min_iter": 0}, "at least 1"),
        ({"min_iter": 1, "eta": 1}, "greater than 1"),
        ({"min_iter": 1.5}, "min_iter must be an integer"),
        ({"max_iter": 27.0, "s": 2}, "max_iter must be an integer"),
        ({"min_iter": 1, "strict": "yes"}, "true or false"),
        ({"min_iter": 1, "eta": "3"}, "number greater than 1"),
    ],
)
def test_refused_settings(args: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WandbHyperbandPruner(**args)
