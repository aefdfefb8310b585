"""Creating and loading the sweep's Optuna study, refusing silent changes of its settings."""

from __future__ import annotations

import json
import warnings
from typing import Any

import optuna

from sweeps.spec import SweepSpec
from sweeps.spec.samplers import build_pruner, build_sampler
from sweeps.storage import open_storage, redact_url
from sweeps.storage.urls import storage_file
from sweeps.study.budget_record import record_budget
from sweeps.study.fingerprint import differences, fingerprint, pinned_settings
from sweeps.study.kept import restore_finished
from sweeps.study.keys import Key
from sweeps.study.provenance import git_commit, package_versions
from sweeps.study.spending import Spending


class StudyMismatch(RuntimeError):
    """The stored study was created from different pinned settings."""


def prepare_study(spec: SweepSpec, force: bool = False) -> optuna.Study:
    """Create the sweep's study, or load it if its pinned settings match (or ``force``)."""
    storage = open_storage(spec.storage_url)
    try:
        study = optuna.create_study(
            study_name=spec.study,
            storage=storage,
            directions=list(spec.directions),
            sampler=build_sampler(spec),
            pruner=build_pruner(spec),
        )
    except optuna.exceptions.DuplicatedStudyError:
        study = load_study(spec, force=force)
        _adopt(study, spec, force)
        name_metrics(study, spec)
        record_budget(study, spec)
        return study
    _record(study, spec)
    name_metrics(study, spec)
    record_budget(study, spec)
    return study


def name_metrics(study: optuna.Study, spec: SweepSpec) -> None:
    """Name the study's values by the sweep's ``metrics`` (optuna-dashboard's axis labels)."""
    if not spec.metrics or study.metric_names == list(spec.metrics):
        return
    with warnings.catch_warnings():  # set_metric_names is experimental in Optuna
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names(list(spec.metrics))


def load_study(
    spec: SweepSpec, force: bool = False, check: bool = True, stream: int | None = None
) -> optuna.Study:
    """Load the sweep's existing study with its sampler (seeded for ``stream``) and pruner.

    A study file that does not exist is not created (reading never writes)."""
    missing = storage_file(spec.storage_url)
    if missing is not None and not missing.exists():
        raise LookupError(
            f"study {spec.study!r} does not exist: no file {missing}; "
            "run the sweep (snakemake) or 'sweeps study prepare' first"
        )
    try:
        study = optuna.load_study(
            study_name=spec.study,
            storage=open_storage(spec.storage_url),
            sampler=build_sampler(spec, stream=stream),
            pruner=build_pruner(spec),
        )
    except KeyError:
        raise LookupError(
            f"study {spec.study!r} does not exist in {redact_url(spec.storage_url)}; "
            "run the sweep (snakemake) or 'sweeps study prepare' first"
        ) from None
    if check and not force:
        check_pinned(study, spec)
    restore_finished(study, spec)  # a new process: start from the trials kept on disk
    return study


def check_pinned(study: optuna.Study, spec: SweepSpec) -> None:
    """Raise :class:`StudyMismatch` naming each pinned setting that changed."""
    stored = study.user_attrs.get(Key.FINGERPRINT)
    if stored is None or stored == fingerprint(pinned_settings(spec)):
        return
    old = json.loads(study.user_attrs.get(Key.PINNED, "{}"))
    changes = differences(old, pinned_settings(spec))
    raise StudyMismatch(
        f"study {spec.study!r} was created from different settings; refusing to resume "
        "(pass --force to resume anyway, or give the sweep a new study name):\n  "
        + "\n  ".join(changes)
    )


def _adopt(study: optuna.Study, spec: SweepSpec, force: bool) -> None:
    if study.user_attrs.get(Key.FINGERPRINT) is None:
        if study.trials and not force:
            raise StudyMismatch(
                f"study {spec.study!r} exists with {len(study.trials)} trials but was not "
                "created by a sweep; pass --force to adopt it"
            )
        _record(study, spec)
    elif force:
        _record(study, spec)


def _record(study: optuna.Study, spec: SweepSpec) -> None:
    settings = pinned_settings(spec)
    attrs: dict[str, Any] = {
        Key.FINGERPRINT: fingerprint(settings),
        Key.PINNED: json.dumps(settings, sort_keys=True, default=str),
        Key.SPEC: spec.model_copy(update={"storage": redact_url(spec.storage)}).model_dump_json(),
        Key.VERSIONS: package_versions(),
        Key.CODE_VERSION: git_commit(),
    }
    for key, value in attrs.items():
        study.set_user_attr(key, value)
    Spending.of(study).begin()  # a new study: its totals start at nothing, no trial read
