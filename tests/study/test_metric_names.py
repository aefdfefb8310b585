"""The study's values are named by the sweep's ``metrics`` (optuna-dashboard's axis labels)."""

from __future__ import annotations

import optuna

from sweeps.study import prepare_study


def test_the_sweeps_metrics_name_the_studys_values(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(
        directions=["minimize", "maximize"], direction=None, metrics=["loss", "acc"]
    )
    assert prepare_study(spec).metric_names == ["loss", "acc"]
    stored = optuna.load_study(study_name=spec.study, storage=spec.storage_url)
    assert stored.metric_names == ["loss", "acc"]
    assert prepare_study(spec).metric_names == ["loss", "acc"]  # loaded again: unchanged


def test_a_sweep_without_metrics_leaves_the_values_unnamed(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec()
    assert prepare_study(spec).metric_names is None
