"""A command objective's values from ``objective.metrics_from``: its output's patterns and its
TensorBoard events, combined for the command's run (sweeps.job.command).

Intermediate values: matches of ``intermediate`` and the events of the (first) metric's
TensorBoard tag. The result: the last match of ``final``, else (without ``metrics_file``) the
last event of each metric's tag. A source that gave nothing fails the trial, naming it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sweeps.job.output_patterns import SHOWN_CHARS, OutputPatterns
from sweeps.job.tensorboard_reader import TensorBoardScalars
from sweeps.spec import SweepSpec
from sweeps.spec.metrics import objective_metrics

TENSORBOARD_POLL_S = 0.5


class MetricsReader:
    """What ``metrics_from`` read during one run of the command."""

    def __init__(self, spec: SweepSpec, board_dir: Path | None, since: float) -> None:
        read = spec.objective.metrics_from
        assert read is not None
        self.read, self.metrics = read, objective_metrics(spec)
        self.patterns = OutputPatterns(read, self.metrics)
        self.uses_file = spec.objective.metrics_file is not None
        self.tags: dict[str, str] = {}
        self.board: TensorBoardScalars | None = None
        if read.tensorboard is not None and board_dir is not None:
            self.tags = read.tensorboard.tags(self.metrics)
            tags = list(dict.fromkeys(self.tags.values()))
            self.board = TensorBoardScalars(board_dir, tags, since)
        self._polled_at = 0.0

    def feed(self, line: str) -> None:
        """One line of the command's output (any thread)."""
        self.patterns.feed(line)

    def take_reports(self, force: bool = False) -> list[tuple[int, float]]:
        """New intermediate values; TensorBoard is read every ``TENSORBOARD_POLL_S`` (or when
        ``force``: the command has exited)."""
        reports = self.patterns.take_reports()
        now = time.monotonic()
        if self.board is not None and (force or now - self._polled_at >= TENSORBOARD_POLL_S):
            self._polled_at = now
            first = next(iter(self.tags.values()))
            reports += [(step, value) for tag, step, value in self.board.poll() if tag == first]
        return reports

    def problem(self) -> str | None:
        """Why a source gave nothing (the trial fails), or None."""
        found = self.patterns.problem()
        if found is not None or self.board is None:
            return found
        missing = [tag for tag in self.tags.values() if tag not in self.board.last]
        if not missing:
            return None
        there = ", ".join(self.board.found_tags) or "none"
        last = self.patterns.last_line[:SHOWN_CHARS]
        tail = f"last line: {last!r}" if last else "it printed nothing"
        return (
            f"objective.metrics_from.tensorboard: no scalar {', '.join(map(repr, missing))} "
            f"written in {str(self.board.directory)!r} (tags there: {there}; {tail})"
        )

    def final_values(self) -> list[Any] | None:
        """The result's values, or None where the result comes from elsewhere."""
        values = self.patterns.final_values()
        if values is not None or self.board is None or self.uses_file:
            return values
        return [self.board.last[tag] for tag in self.tags.values()]

    def final_extras(self) -> dict[str, Any]:
        """What the result gave besides the sweep's metrics."""
        return self.patterns.final_extras()
