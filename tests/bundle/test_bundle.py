"""Export a finished sweep, reproduce it through the real snakemake, compare."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from support.specs import REPO

from sweeps.bundle import read_bundle
from sweeps.bundle.compare import Tolerance
from sweeps.bundle.reproduce import ReproductionOptions, compare, reproduce_spec
from sweeps.cli import main
from sweeps.controller.slot import run_slot
from sweeps.spec import spec_from_dict
from sweeps.study import prepare_study


def finished_sweep(make_spec, n: int = 3):  # type: ignore[no-untyped-def]
    path, spec = make_spec(budget={"n_trials": n}, metrics=["loss"])
    prepare_study(spec)
    for slot in range(n):
        run_slot(spec, slot, Path(f"results/t/trials/{slot}.json"))
    return path, spec


def test_export_writes_a_self_contained_bundle(make_spec, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    path, _ = finished_sweep(make_spec)
    assert main(["export", "--spec", str(path), "--out", "bundle"]) == 0
    bundle = read_bundle(workdir / "bundle")
    assert bundle.spec["study"] == "t" and bundle.about["fingerprint"]
    assert bundle.about["versions"]["optuna"]
    assert "code_version" in bundle.about
    assert any(
        line.startswith("optuna==")
        for line in (workdir / "bundle/environment.txt").read_text().splitlines()
    )
    assert len(bundle.trials) == 3
    for record in bundle.trials:
        assert record["state"] == "COMPLETE" and record["final"]
        assert record["values"][0] == pytest.approx((record["params"]["x"] - 2) ** 2)
        assert record["seed"] is not None and record["intermediate_values"]
        assert record["user_attrs"]["executor"] == "local"
    with (workdir / "bundle/trials.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [float(r["params_x"]) for r in rows] == [t["params"]["x"] for t in bundle.trials]


@pytest.mark.e2e
def test_reproduce_replays_every_trial_through_snakemake(make_spec, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    path, _ = finished_sweep(make_spec)
    main(["export", "--spec", str(path), "--out", "bundle"])
    shutil.copy(REPO / "Snakefile", workdir / "Snakefile")
    shutil.copytree(REPO / "workflow", workdir / "workflow")
    (workdir / "config").mkdir()
    shutil.copy(REPO / "config" / "config.yaml", workdir / "config" / "config.yaml")
    assert main(["reproduce", "bundle", "--cores", "2"]) == 0
    out = workdir / "results" / "t-reproduced"
    with (out / "comparison.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    bundle = read_bundle(workdir / "bundle")
    assert len(rows) == 3 and all(r["pass"] == "True" for r in rows)
    assert [json.loads(r["params"]) for r in rows] == [t["params"] for t in bundle.final_trials()]
    assert all(r["metric"] == "loss" and r["tolerance"] == "rtol=1e-06 atol=1e-09" for r in rows)
    assert "3 of 3 rows pass" in (out / "comparison.html").read_text()

    # A published value the reproduction does not match fails its row, and only that row.
    bundle.trials[1]["values"] = [bundle.trials[1]["values"][0] + 0.5]
    spec = spec_from_dict(reproduce_spec(bundle, ReproductionOptions()))
    rows2 = compare(bundle, spec, ReproductionOptions(tolerance=Tolerance.replay()))
    assert [r["pass"] for r in rows2] == [True, False, True]

    resampled = compare(bundle, spec, ReproductionOptions(mode="resample"))
    assert {r["key"] for r in resampled} == {"n_complete", "best", "median", "mean"}
