"""A slot's controller that cannot go on (a full disk, a database gone): leave its trial to be
retried, keep the traceback in the trial's log, and say what happened in one line."""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Iterator
from dataclasses import dataclass

import optuna

from sweeps.run.strategies import Running, Strategy
from sweeps.spec import SweepSpec
from sweeps.spec.paths import SweepPaths
from sweeps.storage.optuna_internals import storage_of, trial_id_of
from sweeps.study.slots import fail_retryable


class ControllerStopped(Exception):
    """The controller stopped on an error it did not expect; the message is one line."""


@dataclass
class Attempt:
    """The trial a controller is bringing to an end, and its work once started."""

    trial: optuna.Trial
    running: Running | None = None


@contextlib.contextmanager
def stops_cleanly(
    spec: SweepSpec, strategy: Strategy, study: optuna.Study, attempt: Attempt
) -> Iterator[None]:
    """Turn an unexpected error into :class:`ControllerStopped`, after stopping the attempt's
    work and marking its trial retryable where that is still possible (a sweep that keeps jobs
    on interrupt keeps them here too, for a re-run to re-attach)."""
    try:
        yield
    except (ControllerStopped, KeyboardInterrupt):
        raise
    except Exception as err:
        cause = " ".join(f"{type(err).__name__}: {err}".split())
        number = attempt.trial.number
        _log_traceback(spec, number)
        done = _leave_trial(spec, strategy, study, attempt, cause)
        raise ControllerStopped(f"trial {number} stopped: {cause}; {done}") from err


def _leave_trial(
    spec: SweepSpec, strategy: Strategy, study: optuna.Study, attempt: Attempt, cause: str
) -> str:
    """Stop the attempt's work and fail its trial for a retry; say what was done."""
    if attempt.running is not None and strategy.keeps_work_on_interrupt(spec):
        return f"{attempt.running.keep()}; a re-run re-attaches to it"
    done = []
    if attempt.running is not None:
        with contextlib.suppress(Exception):
            done.append(attempt.running.cancel())
    try:
        marked = fail_retryable(
            storage_of(study), trial_id_of(attempt.trial), f"its controller stopped: {cause}"
        )
    except Exception:
        done.append("the study could not be told (the next run retries the trial)")
    else:
        done.append("marked for a retry" if marked else "the trial had already ended")
    return "; ".join(done)


def _log_traceback(spec: SweepSpec, number: int) -> None:
    """Append the traceback being handled to the trial's log, when it can be written."""
    with contextlib.suppress(OSError):
        path = SweepPaths.of(spec).trial_log(number)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as log:
            log.write(f"The trial's controller stopped:\n{traceback.format_exc()}")
