"""A published sweep's figures, kept in its sweep file as facts (``published:``).

Each figure says what it is a statistic of, so the comparison (sweeps.report.published) knows
what a run can show about it:

- ``median_single``: the median of single evaluations drawn by ``method``;
- ``mean_best`` / ``median_best``: the mean / median over the publication's runs of the best
  value after ``after`` trials (each best first clipped at ``clip``, where given);
- ``best_of_pool``: the best of one set of ``after`` evaluations, optionally with a
  ``tolerance`` band a run's best must fall in;
- ``best_params``: the parameters of the best of ``after`` evaluations;
- ``reference``: a value the publication reports that its method did not produce (the best
  any optimizer found);
- ``data_min`` / ``data_max``: the lowest / highest value of the metric in the data the
  objective was fitted to (a surrogate's), over every configuration and step the data holds.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sweeps.spec.numbers import Float, Int

Statistic = Literal[
    "median_single",
    "mean_best",
    "median_best",
    "best_of_pool",
    "best_params",
    "reference",
    "data_min",
    "data_max",
]
# Statistics of the best after a number of trials: they need ``after``.
AFTER = frozenset({"mean_best", "median_best", "best_of_pool", "best_params"})
_SAMPLER = re.compile(r"^[A-Za-z_]\w*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Tolerance(_Strict):
    """The band a run's value must lie in to reproduce a figure, and why that band."""

    low: Float
    high: Float
    basis: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Tolerance:
        if self.low > self.high:
            raise ValueError(f"'low' ({self.low}) must not exceed 'high' ({self.high})")
        return self


class PublishedFigure(_Strict):
    """One published number (or configuration) and what it is a statistic of."""

    name: str = Field(min_length=1)
    statistic: Statistic
    value: Float | None = None
    params: dict[str, Any] | None = None
    after: Int | None = Field(default=None, gt=0)
    clip: Float | None = None
    tolerance: Tolerance | None = None
    note: str = ""

    @model_validator(mode="after")
    def _fields_of_the_statistic(self) -> PublishedFigure:
        kind = self.statistic
        if kind == "best_params":
            if self.params is None or self.value is not None:
                raise ValueError("statistic 'best_params' takes 'params' (a mapping), no 'value'")
        elif self.value is None or self.params is not None:
            raise ValueError(f"statistic {kind!r} takes a 'value', no 'params'")
        if (kind in AFTER) != (self.after is not None):
            need = "needs" if kind in AFTER else "takes no"
            raise ValueError(f"statistic {kind!r} {need} 'after' (the trials the figure is of)")
        if self.clip is not None and kind not in ("mean_best", "median_best"):
            raise ValueError(f"'clip' is for mean_best and median_best, not {kind!r}")
        if self.tolerance is not None and kind != "best_of_pool":
            raise ValueError(f"'tolerance' is for best_of_pool, not {kind!r}")
        return self


class Published(_Strict):
    """Where the figures come from and what the publication ran: ``method`` is the Optuna
    sampler that draws as it did, ``trials`` its evaluations per run, ``runs`` how many runs
    its figures summarise (null: not recorded)."""

    source: str = Field(min_length=1)
    method: str
    trials: Int = Field(gt=0)
    runs: Int | None = Field(default=None, gt=0)
    note: str = ""
    figures: list[PublishedFigure] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Published:
        if not _SAMPLER.match(self.method):
            raise ValueError(f"'method' must be a sampler class name, got {self.method!r}")
        names = [f.name for f in self.figures]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"figure names must be unique; given twice: {', '.join(twice)}")
        for figure in self.figures:
            if figure.after is not None and figure.after > self.trials:
                raise ValueError(
                    f"figure {figure.name!r}: 'after' ({figure.after}) exceeds the "
                    f"publication's trials per run ({self.trials})"
                )
        return self
