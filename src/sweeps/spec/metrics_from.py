"""``objective.metrics_from``: a command objective's values read from output it already writes.

``intermediate`` and ``final`` are regular expressions searched in each line the command
prints (stdout and stderr): a match of ``intermediate`` is a value at a step (its ``step``
group, else the count of earlier matches), the last match of ``final`` the result.
``tensorboard`` reads the scalars of ``tag`` from the event files in ``dir``. The patterns
are compiled when the sweep file is validated; their groups are checked against the sweep's
metrics by :mod:`sweeps.spec.metrics_from_check`.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

VALUE_GROUP = "value"
STEP_GROUP = "step"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TensorBoardScalars(_Strict):
    """Scalars of ``tag`` (or one tag per metric) in the event files of ``dir`` (a template
    with the command's placeholders, relative to where the command runs)."""

    dir: str = Field(min_length=1)
    tag: str | dict[str, str]

    @field_validator("tag")
    @classmethod
    def _tags(cls, value: str | dict[str, str]) -> str | dict[str, str]:
        if not value:
            raise ValueError("name a tag (a mapping: one tag per metric)")
        return value

    def tags(self, metrics: list[str]) -> dict[str, str]:
        """Metric name -> tag, in the order of ``metrics`` (a single tag stands for the
        objective's one value)."""
        if isinstance(self.tag, str):
            return {(metrics or [VALUE_GROUP])[0]: self.tag}
        return {name: self.tag[name] for name in metrics if name in self.tag}


class MetricsFrom(_Strict):
    """Where a command objective's values come from besides JSON lines."""

    intermediate: str | None = None
    final: str | None = None
    tensorboard: TensorBoardScalars | None = None

    @field_validator("intermediate", "final")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            pattern = re.compile(value)
        except re.error as err:
            raise ValueError(f"not a valid regular expression: {err}") from None
        if not pattern.groupindex:
            raise ValueError(
                f"has no named group: mark the number with (?P<{VALUE_GROUP}>...), "
                r"e.g. 'loss: (?P<value>[-+.\deE]+)'"
            )
        return value

    @model_validator(mode="after")
    def _something(self) -> MetricsFrom:
        if self.intermediate is None and self.final is None and self.tensorboard is None:
            raise ValueError("give 'intermediate', 'final' (patterns) or 'tensorboard'")
        return self


def groups(pattern: str) -> set[str]:
    """The named groups of a (valid) pattern."""
    return set(re.compile(pattern).groupindex)
