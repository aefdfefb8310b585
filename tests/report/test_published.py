"""A published sweep's run against the figures its sweep file carries: rows, values, verdicts."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pytest
from optuna.trial import TrialState
from support.html_tables import html_records, html_tables, section

from sweeps.report.html import write_html_report
from sweeps.report.published import (
    DIFFERS,
    NOT_COMPARABLE,
    REPRODUCES,
    TOO_SHORT,
    Comparison,
    NoPublishedFigures,
    compare_published,
    fewest_for_median_ci,
    median_ci,
)
from sweeps.spec import SpecError, SweepSpec, load_spec, spec_from_dict
from sweeps.spec.space import distributions
from sweeps.study import prepare_study
from sweeps.study.keys import Key

BAYESMARK = "published:bayesmark-kNN_wine_acc"


def filled(
    spec: SweepSpec,
    values: list[float | None],
    *,
    params: list[dict[str, Any]] | None = None,
    slots: list[int] | None = None,
    states: dict[int, TrialState] | None = None,
    retryable: tuple[int, ...] = (),
) -> optuna.Study:
    """The sweep's study with one finished trial per value (None: pruned, or ``states``)."""
    study = prepare_study(spec)
    dists = distributions(spec)
    inside = {name: _inside(d) for name, d in dists.items()}
    for i, value in enumerate(values):
        state = (states or {}).get(i, TrialState.PRUNED if value is None else TrialState.COMPLETE)
        attrs: dict[str, Any] = {Key.SLOT: slots[i] if slots else i}
        if i in retryable:
            attrs[Key.RETRYABLE] = True
        study.add_trial(
            optuna.trial.create_trial(
                params=params[i] if params else inside,
                distributions=dists,
                system_attrs=attrs,
                state=state,
                value=value if state == TrialState.COMPLETE else None,
            )
        )
    return study


def _inside(dist: optuna.distributions.BaseDistribution) -> Any:
    if isinstance(dist, optuna.distributions.CategoricalDistribution):
        return dist.choices[0]
    return dist.low  # type: ignore[attr-defined]


def rows(comparison: Comparison) -> dict[str, Any]:
    return {r.figure: r for r in comparison.rows}


def figures(spec: SweepSpec) -> dict[str, Any]:
    assert spec.published is not None
    return {f.name: f for f in spec.published.figures}


def test_median_ci_is_the_binomial_order_statistic_interval() -> None:
    # Ranks from scipy.stats.binom: ppf(0.025, n, 0.5) and isf(0.025, n, 0.5) + 1.
    losses = np.arange(501, dtype=float)[::-1] + 1.0
    assert median_ci(losses) == (229.0, 273.0)
    assert median_ci(np.arange(61, dtype=float) + 1.0) == (23.0, 39.0)
    assert median_ci(np.ones(5)) == (-np.inf, np.inf)
    # A plateau holding the middle of the sample: both ends on it.
    assert median_ci(np.r_[np.zeros(30), np.ones(71)]) == (1.0, 1.0)
    assert fewest_for_median_ci() == 6  # 5 values: P(all above the median) = 1/32 > 2.5%


def test_bayesmark_run_whose_median_holds_the_clip(workdir: Path) -> None:
    spec = load_spec(BAYESMARK)
    clip = figures(spec)["clip"].value
    losses = [clip + 0.01 * k for k in range(-7, 8)]  # median = clip, 15 trials
    comparison = compare_published(filled(spec, losses), spec)
    got = rows(comparison)
    assert list(got) == ["clip", "mean@15", "median@15", "best"]
    assert got["clip"].verdict == REPRODUCES
    assert got["clip"].ours == pytest.approx(clip)
    # n = 15: order statistics 4 and 12.
    assert got["clip"].interval == f"[{clip - 0.04:.6g}, {clip + 0.04:.6g}]"
    for name in ("mean@15", "median@15", "best"):
        assert got[name].verdict == NOT_COMPARABLE
        assert got[name].ours == pytest.approx(clip - 0.07)
    assert got["mean@15"].difference == pytest.approx(clip - 0.07 - figures(spec)["mean@15"].value)
    assert "one run is one draw" in got["mean@15"].detail
    assert "RandomSampler beside published RandomSampler" in got["mean@15"].detail
    assert "not a statistic of its RandomSampler runs" in got["best"].detail
    assert "15 of 15 trials ended in slot order (15 complete, 0 pruned, 0 failed)" in (
        comparison.run
    )
    assert "1 run (seed 0); RandomSampler" in comparison.run
    assert "100 trials per run; runs: not recorded" in comparison.publication
    assert comparison.reproduces


def test_best_after_n_is_clipped_as_the_figure(workdir: Path) -> None:
    spec = load_spec(BAYESMARK)
    clip = figures(spec)["clip"].value
    comparison = compare_published(filled(spec, [clip + 0.1] * 15), spec)
    got = rows(comparison)
    assert got["mean@15"].ours == clip  # every loss worse than the clip
    assert got["median@15"].ours == pytest.approx(clip + 0.1)  # the median is not clipped
    assert got["clip"].verdict == DIFFERS and not comparison.reproduces
    assert "outside" in got["clip"].detail


def test_a_partial_run_is_too_short_never_a_miss(workdir: Path) -> None:
    spec = load_spec(BAYESMARK)
    clip = figures(spec)["clip"].value
    got = rows(compare_published(filled(spec, [clip + 1.0] * 4), spec))
    assert got["clip"].verdict == TOO_SHORT
    assert got["clip"].detail.startswith("4 trials run, the figure needs 6 (the fewest")
    assert got["mean@15"].verdict == TOO_SHORT and got["mean@15"].ours is None
    assert got["mean@15"].detail == "4 trials run, the figure needs 15"
    assert got["median@15"].verdict == TOO_SHORT


def test_trials_count_in_slot_order_up_to_an_open_slot(workdir: Path) -> None:
    spec = load_spec(BAYESMARK)
    clip = figures(spec)["clip"].value
    study = filled(spec, [clip] * 8, slots=[0, 1, 2, 3, 4, 6, 7, 8])
    comparison = compare_published(study, spec)
    assert "5 of 15 trials ended in slot order" in comparison.run
    assert "3 more ended after a slot still open" in comparison.run
    assert rows(comparison)["clip"].detail.startswith("5 trials run, the figure needs 6")


def test_a_retried_attempt_does_not_count_and_a_lost_value_is_refused(workdir: Path) -> None:
    spec = load_spec(BAYESMARK)
    clip = figures(spec)["clip"].value
    values: list[float | None] = [clip + 0.01 * k for k in range(-7, 8)]
    # Slot 3's first attempt failed and was retried; slot 5 failed for good.
    study = filled(
        spec,
        [*values, None],
        slots=[*range(15), 3],
        states={5: TrialState.FAIL, 15: TrialState.FAIL},
        retryable=(15,),
    )
    got = rows(compare_published(study, spec))
    assert got["clip"].verdict == NOT_COMPARABLE
    assert got["clip"].detail.startswith("1 of 15 trials ended without a value (1 FAIL)")


def test_another_sampler_is_labelled_and_not_judged(workdir: Path) -> None:
    spec = load_spec(BAYESMARK, overrides={"sampler": {"name": "TPESampler"}})
    clip = figures(spec)["clip"].value
    comparison = compare_published(filled(spec, [clip] * 15), spec)
    got = rows(comparison)
    assert got["clip"].verdict == NOT_COMPARABLE
    assert "this run's trials were drawn by TPESampler" in got["clip"].detail
    assert "this run's TPESampler beside published RandomSampler" in got["mean@15"].detail


def test_the_run_is_described_by_the_settings_its_study_was_created_with(
    workdir: Path,
) -> None:
    ran = load_spec(BAYESMARK)
    study = filled(ran, [figures(ran)["clip"].value] * 15)
    other = load_spec(BAYESMARK, overrides={"sampler": {"name": "TPESampler"}, "seed": 3})
    comparison = compare_published(study, other)
    assert "1 run (seed 0); RandomSampler; the study was created from other pinned" in (
        comparison.run
    )
    assert rows(comparison)["clip"].verdict == REPRODUCES


def test_lcbench_rows_say_what_fifty_trials_can_show(workdir: Path) -> None:
    spec = load_spec("published:lcbench-167168")
    accuracies: list[float | None] = [60.0 + i * 0.5 for i in range(50)]
    accuracies[9] = 95.0
    accuracies[3] = None  # pruned
    comparison = compare_published(filled(spec, accuracies), spec)
    got = rows(comparison)
    assert got["max"].verdict == TOO_SHORT
    assert got["max"].detail == "50 trials run, the figure needs 20000"
    assert got["E[best of 100]"].detail == "50 trials run, the figure needs 100"
    assert got["E[best of 10]"].verdict == NOT_COMPARABLE and got["E[best of 10]"].ours == 95.0
    assert got["E[best of 50]"].ours == 95.0
    assert got["E[best of 50]"].difference == pytest.approx(95.0 - 79.14)
    assert "TPESampler with SuccessiveHalvingPruner beside published RandomSampler" in (
        got["E[best of 50]"].detail
    )
    assert "(49 complete, 1 pruned, 0 failed)" in comparison.run


def grid(spec: SweepSpec) -> list[dict[str, Any]]:
    choices = [p.choices for p in spec.space.values()]  # type: ignore[union-attr]
    return [dict(zip(spec.space, combo, strict=True)) for combo in itertools.product(*choices)]


def test_skorch_best_in_the_band_reproduces(workdir: Path) -> None:
    spec = load_spec("published:skorch-basic-usage-grid")
    points = grid(spec)
    winner = figures(spec)["winner"].params
    scores: list[float | None] = [0.80 + 0.001 * i for i in range(16)]
    scores[points.index(winner)] = 0.87
    got = rows(compare_published(filled(spec, scores, params=points), spec))
    assert got["best"].verdict == REPRODUCES and got["best"].ours == 0.87
    assert got["best"].interval == "[0.855, 0.885]"
    assert got["winner"].verdict == NOT_COMPARABLE and got["winner"].ours == winner
    assert "this run's is the published one, which ranks 1 of 16 here" in got["winner"].detail


def test_skorch_best_outside_the_band_and_a_short_grid(workdir: Path) -> None:
    spec = load_spec("published:skorch-basic-usage-grid")
    points = grid(spec)
    scores: list[float | None] = [0.90 - 0.001 * i for i in range(16)]
    got = rows(compare_published(filled(spec, scores, params=points), spec))
    assert got["best"].verdict == DIFFERS and got["best"].ours == 0.90
    winner = figures(spec)["winner"].params
    assert got["winner"].ours == points[0] != winner
    assert f"which ranks {points.index(winner) + 1} of 16 here" in got["winner"].detail


def test_skorch_grid_short_of_one_point(workdir: Path) -> None:
    spec = load_spec("published:skorch-basic-usage-grid")
    points = grid(spec)[:15]
    got = rows(compare_published(filled(spec, [0.87] * 15, params=points), spec))
    assert got["best"].verdict == TOO_SHORT
    assert got["best"].detail == "15 trials run, the figure needs 16"
    assert got["winner"].verdict == TOO_SHORT


def test_html_report_of_a_published_sweep_has_the_table(workdir: Path) -> None:
    spec = load_spec(BAYESMARK)
    clip = figures(spec)["clip"].value
    study = filled(spec, [clip + 0.01 * k for k in range(-7, 8)])
    page = write_html_report(study, spec, workdir / "report.html").read_text()
    part = section(page, "Against the published figures")
    assert "15 of 15 trials ended in slot order" in part
    records = html_records(html_tables(part)[0])
    assert [r["figure"] for r in records] == ["clip", "mean@15", "median@15", "best"]
    assert records[0]["verdict"] == REPRODUCES and records[1]["verdict"] == NOT_COMPARABLE
    assert records[0]["published"] == f"{clip:.6g}"


def test_html_report_of_another_sweep_has_none(make_spec: Any, workdir: Path) -> None:
    _, spec = make_spec()
    study = filled(spec, [1.0, 2.0])
    assert (
        "Against the published figures"
        not in write_html_report(study, spec, workdir / "report.html").read_text()
    )
    with pytest.raises(NoPublishedFigures, match="sweep 't' has no published figures"):
        compare_published(study, spec)


def block(**figure: Any) -> dict[str, Any]:
    return {
        "source": "a paper",
        "method": "RandomSampler",
        "trials": 20,
        "figures": [{"name": "f", **figure}],
    }


@pytest.mark.parametrize(
    ("published", "said"),
    [
        (block(statistic="mean_best", value=1.0), "statistic 'mean_best' needs 'after'"),
        (block(statistic="median_single", value=1.0, after=5), "takes no 'after'"),
        (block(statistic="best_params", value=1.0, after=5), "takes 'params'"),
        (block(statistic="reference"), "statistic 'reference' takes a 'value'"),
        (block(statistic="mean_best", value=1.0, after=50), "'after' (50) exceeds"),
        (block(statistic="reference", value=1.0, clip=0.5), "'clip' is for mean_best"),
        (block(statistic="typo", value=1.0), "Input should be 'median_single'"),
        (
            block(statistic="best_params", params={"y": 1.0}, after=5),
            "'params' names ['y'], the space has ['x']",
        ),
        (
            {**block(statistic="reference", value=1.0), "method": "random search"},
            "'method' must be a sampler class name",
        ),
        (
            {**block(statistic="reference", value=1.0), "figures": [{"name": "f"}] * 0},
            "at least 1 item",
        ),
    ],
)
def test_a_wrong_published_block_is_refused_by_key(published: dict[str, Any], said: str) -> None:
    from support.specs import base_spec

    with pytest.raises(SpecError) as err:
        spec_from_dict(base_spec(published=published), source="sweep.yaml")
    text = str(err.value)
    assert "sweep.yaml: invalid sweep" in text and "published" in text and said in text


def test_figure_names_are_unique_and_a_plain_sweep_records_as_before() -> None:
    from support.specs import base_spec

    twice = block(statistic="reference", value=1.0)
    twice["figures"] = twice["figures"] * 2
    with pytest.raises(SpecError, match="given twice: f"):
        spec_from_dict(base_spec(published=twice))
    plain = spec_from_dict(base_spec())
    assert "published" not in plain.model_dump() and plain.published is None
    spec = spec_from_dict(base_spec(published=block(statistic="reference", value=1.0)))
    assert spec.model_dump()["published"]["figures"][0]["value"] == 1.0
