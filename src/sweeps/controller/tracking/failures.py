"""A tracker that fails is reported once per process, in one line; the sweep goes on."""

from __future__ import annotations

import logging
import re
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

WARNED: set[str] = set()
"""The trackers this process has warned about."""

LIBRARY_LOGGERS = ("mlflow", "urllib3", "alembic", "wandb", "tensorboard", "absl")
_USERINFO = re.compile(r"(://[^/\s:@]*):[^@\s/]*@")  # a password in a URL of a message
_LONGEST = 300


def warn_once(tracker: str, where: str, err: BaseException) -> None:
    """One line on stderr, the first time ``tracker`` (logging to ``where``) fails here."""
    if tracker in WARNED:
        return
    WARNED.add(tracker)
    why = _USERINFO.sub(r"\1:***@", " ".join(f"{type(err).__name__}: {err}".split()))
    if len(why) > _LONGEST:
        why = why[: _LONGEST - 3] + "..."
    print(
        f"sweeps: warning: tracking to {where} failed ({why}); trials go on without it "
        "(shown once)",
        file=sys.stderr,
        flush=True,
    )


@contextmanager
def quiet() -> Iterator[None]:
    """While a tracker logs: its library's own warnings and log records are not shown."""
    loggers = [logging.getLogger(name) for name in LIBRARY_LOGGERS]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for logger in loggers:
            logger.setLevel(logging.CRITICAL + 1)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)
