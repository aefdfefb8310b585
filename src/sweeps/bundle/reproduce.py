"""``sweeps reproduce``: re-run a bundle's sweep through Snakemake and compare with it.

With ``replay`` (the default), slot ``i`` runs the published parameters of the bundle's slot
``i`` (the controller reads them from the sweep's ``replay`` list; no enqueueing, no races) and
the comparison is per trial. With ``resample`` the sampler draws anew from the pinned settings and
the comparison is per summary statistic.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from sweeps.bundle.compare import Tolerance, compare_replayed, compare_resampled, write_comparison
from sweeps.bundle.read import Bundle, read_bundle
from sweeps.shipped import workflow_path
from sweeps.spec import SweepSpec, spec_from_dict
from sweeps.spec.paths import SweepPaths
from sweeps.study import load_study

Mode = Literal["replay", "resample"]


@dataclass(frozen=True)
class ReproductionOptions:
    mode: Mode = "replay"
    study: str | None = None
    storage: str | None = None
    cores: int = 2
    snakefile: Path | None = None  # default: ./Snakefile if there is one, else the installed
    tolerance: Tolerance | None = None


def reproduce_spec(bundle: Bundle, options: ReproductionOptions) -> dict[str, Any]:
    """The sweep that re-runs the bundle's: renamed, own storage, replaying if asked."""
    data = dict(bundle.spec)
    data["study"] = options.study or f"{bundle.spec['study']}-reproduced"
    data["storage"] = options.storage or SweepSpec.model_fields["storage"].default
    data["description"] = f"reproduction of {bundle.spec['study']} ({options.mode})"
    if options.mode == "replay":
        finals = bundle.final_trials()
        data["replay"] = [t["params"] for t in finals]
        data["budget"] = {**data["budget"], "n_trials": len(finals)}
    else:
        data["replay"] = []
    return data


def reproduce(bundle_path: Path, options: ReproductionOptions) -> tuple[Path, list[dict[str, Any]]]:
    """Run the reproduction with Snakemake and write ``results/<study>/comparison.{csv,html}``."""
    bundle = read_bundle(bundle_path)
    data = reproduce_spec(bundle, options)
    spec = spec_from_dict(data, source=bundle_path / "sweep.yaml")
    results = SweepPaths.of(spec).root
    results.mkdir(parents=True, exist_ok=True)
    sweep_file = results / "sweep.yaml"
    sweep_file.write_text(yaml.safe_dump(data, sort_keys=False))
    run_snakemake(sweep_file, options)
    rows = compare(bundle, spec, options)
    return write_comparison(rows, results, bundle, spec, options.mode), rows


def snakefile_of(options: ReproductionOptions) -> Path:
    """The workflow to run: the one asked for, else this directory's Snakefile, else the
    installed workflow."""
    if options.snakefile is not None:
        return options.snakefile
    return Path("Snakefile") if Path("Snakefile").is_file() else workflow_path()


def run_snakemake(sweep_file: Path, options: ReproductionOptions) -> None:
    """The normal Snakemake path, as a user would run it."""
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(snakefile_of(options)),
        "--cores",
        str(options.cores),
        "--config",
        f"sweep={sweep_file}",
    ]
    done = subprocess.run(command, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"snakemake failed (exit {done.returncode}): {' '.join(command)}")


def compare(bundle: Bundle, spec: SweepSpec, options: ReproductionOptions) -> list[dict[str, Any]]:
    """Comparison rows for a finished reproduction."""
    trials = load_study(spec, check=False).get_trials(deepcopy=False)
    directions = bundle.about.get("directions") or list(spec.directions)
    if options.mode == "replay":
        return compare_replayed(
            bundle.final_trials(), trials, spec.metrics, options.tolerance or Tolerance.replay()
        )
    return compare_resampled(
        bundle.final_trials(),
        trials,
        directions,
        spec.metrics,
        options.tolerance or Tolerance.resample(),
    )
