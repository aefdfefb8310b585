"""Finished trials kept on disk for the sweep's next controller process.

A finished trial never changes again. A bare ``snakemake`` runs each slot's controller as a
process of its own, and its sampler reads every finished trial of the study: seconds in a study
of thousands. So controllers keep what Optuna's cache layer has read in
``results/<study>/cache/finished-trials.pickle``; a new process starts from it and reads from
the storage only the trials added, or still unfinished, since.

The file is only a cache, written by the sweep's own controllers: missing, unreadable, or of
another study (one deleted and created again under the same name), it is ignored.
"""

from __future__ import annotations

import logging
import math
import os
import pickle
import threading
from dataclasses import dataclass
from pathlib import Path

import optuna

from sweeps.spec import SweepSpec
from sweeps.spec.paths import SweepPaths
from sweeps.storage import redact_url
from sweeps.storage.optuna_internals import (
    FinishedTrials,
    finished_in_cache,
    has_read_trials,
    seed_cache,
    storage_of,
    study_id_of,
    trial_id_of,
)
from sweeps.study.reads import cache_layer

REWRITE_AFTER = 20  # trials finished since the file was read or written, before a rewrite

_log = logging.getLogger("sweeps.study")
_held: dict[Path, int] = {}  # finished trials in each file when this process read or wrote it
_writing = threading.Lock()  # controllers as threads: one of them writes, the others go on


@dataclass(frozen=True)
class _Kept:
    storage: str  # the storage setting, redacted
    study: str
    optuna: str  # the release that wrote it: another one may build its trials differently
    known: FinishedTrials

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.storage, self.study, self.optuna, self.known.study_id)


def kept_file(spec: SweepSpec) -> Path:
    """Where the sweep's finished trials are kept."""
    return SweepPaths.of(spec).root / "cache" / "finished-trials.pickle"


def restore_finished(study: optuna.Study, spec: SweepSpec) -> int:
    """Start the study's cache from the kept file, when this process has read no trial of it
    yet; how many finished trials that saved reading (0: none)."""
    layer, study_id = cache_layer(study), study_id_of(study)
    path = kept_file(spec)
    if has_read_trials(layer, study_id) or not path.exists():
        return 0
    try:
        with path.open("rb") as file:
            kept = pickle.load(file)
    except Exception as err:  # a cache: any damage means reading the storage instead
        _log.debug("ignoring %s: %s", path, err)
        return 0
    wanted = (redact_url(spec.storage_url), spec.study, optuna.__version__, study_id)
    if not isinstance(kept, _Kept) or kept.key != wanted:
        return 0
    if not _same_study(study, kept.known) or not seed_cache(layer, kept.known):
        return 0
    _held[path] = len(kept.known.trials)
    return len(kept.known.trials)


def _same_study(study: optuna.Study, known: FinishedTrials) -> bool:
    """Whether the newest kept trial is still in the storage as kept (one small read)."""
    if not known.trials:
        return False
    newest = known.trials[-1]
    try:
        stored = storage_of(study).get_trial(trial_id_of(newest))
    except KeyError:
        return False
    return (stored.number, stored.state, stored.datetime_start) == (
        newest.number,
        newest.state,
        newest.datetime_start,
    )


def keep_finished(study: optuna.Study, spec: SweepSpec) -> bool:
    """Write the finished trials this process has read, when enough more than the file holds
    (at least :data:`REWRITE_AFTER`); whether it wrote. A failed write is logged, never
    raised."""
    known = finished_in_cache(cache_layer(study), study_id_of(study))
    path = kept_file(spec)
    if known is None or len(known.trials) - _held.get(path, 0) < _rewrite_after(path):
        return False
    if not _writing.acquire(blocking=False):
        return False
    try:
        _write(path, _Kept(redact_url(spec.storage_url), spec.study, optuna.__version__, known))
    except OSError as err:
        _log.warning("could not keep the finished trials in %s: %s", path, err)
        return False
    finally:
        _writing.release()
    _held[path] = len(known.trials)
    return True


def _rewrite_after(path: Path) -> int:
    """New finished trials worth a rewrite: each process reads up to this many from the
    storage (~0.5 ms each), and a rewrite costs ~10 µs per kept trial; this balances the two
    (20 up to 6,400 kept trials, 50 at 40,000)."""
    return max(REWRITE_AFTER, math.isqrt(_held.get(path, 0)) // 4)


def _write(path: Path, kept: _Kept) -> None:
    """Replace the file at once: readers see the old one or the new one, never a part."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as file:
            pickle.dump(kept, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
