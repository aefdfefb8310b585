"""The sweep file's data model: what a sweep pins, validated with pydantic."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from sweeps.spec.billing import Billing
from sweeps.spec.conditions import allowed, drawing_order, expected
from sweeps.spec.data import DataSpec
from sweeps.spec.deadline import parse_deadline
from sweeps.spec.facts import metric_name
from sweeps.spec.launch import Launch
from sweeps.spec.metrics_from import MetricsFrom
from sweeps.spec.numbers import Float, Int, Seed
from sweeps.spec.proxy import StorageProxy
from sweeps.spec.published import Published
from sweeps.spec.tracking import TrackingSpec
from sweeps.spec.warm import WarmWorkers

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_OBJECTIVE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


Choice = bool | int | float | str | None


class _Drawn(_Strict):
    """What every parameter may carry: ``when``, the values of other parameters it is drawn
    for (``{optimizer: sgd}``, or a list of values; sweeps.spec.conditions)."""

    when: dict[str, Choice | list[Choice]] | None = None

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """An unconditional parameter reads as it always did (its study's fingerprint)."""
        data: dict[str, Any] = handler(self)
        if data.get("when", "") is None:
            data.pop("when")
        return data


class FloatParam(_Drawn):
    """A real-valued parameter, optionally log-scaled or quantised by ``step``."""

    type: Literal["float"]
    low: Float
    high: Float
    log: bool = False
    step: Float | None = None

    @field_validator("step")
    @classmethod
    def _step(cls, step: float | None, info: ValidationInfo) -> float | None:
        if step is not None:
            _check_step(step, info.data, combines_with_log=False)
        return step

    @model_validator(mode="after")
    def _check(self) -> FloatParam:
        _check_bounds(self.low, self.high, self.log)
        return self


class IntParam(_Drawn):
    """An integer parameter, optionally log-scaled or with a ``step``."""

    type: Literal["int"]
    low: Int
    high: Int
    log: bool = False
    step: Int = 1

    @field_validator("step")
    @classmethod
    def _step(cls, step: int, info: ValidationInfo) -> int:
        _check_step(step, info.data, combines_with_log=step == 1)
        return step

    @model_validator(mode="after")
    def _check(self) -> IntParam:
        _check_bounds(self.low, self.high, self.log)
        return self


class CategoricalParam(_Drawn):
    """A parameter drawn from a list of choices (None, bool, int, float or str).

    ``weights``: the probability of each choice, summing to 1; only RandomSampler draws by
    them (sweeps.spec.weighted), so validate refuses them with any other sampler."""

    type: Literal["categorical"]
    choices: list[bool | int | float | str | None] = Field(min_length=1)
    weights: list[Float] | None = None

    @field_validator("choices", mode="before")
    @classmethod
    def _optuna_choices(cls, value: Any) -> Any:
        """One line naming each choice Optuna cannot take, instead of one per union member."""
        if isinstance(value, list):
            bad = [
                f"choices[{i}] = {choice!r} is a {type(choice).__name__}"
                for i, choice in enumerate(value)
                if choice is not None and not isinstance(choice, bool | int | float | str)
            ]
            if bad:
                raise ValueError(
                    f"Optuna takes choices that are None, bool, int, float or str; {'; '.join(bad)}"
                )
        return value

    @model_validator(mode="after")
    def _check(self) -> CategoricalParam:
        if self.weights is None:
            return self
        if len(self.weights) != len(self.choices):
            raise ValueError(
                f"'weights' has {len(self.weights)} entries, 'choices' {len(self.choices)}"
            )
        if any(w < 0 for w in self.weights):
            raise ValueError(f"'weights' must not be negative, got {self.weights}")
        if abs(math.fsum(self.weights) - 1) > 1e-9:
            raise ValueError(f"'weights' must sum to 1, got {math.fsum(self.weights)}")
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Unweighted choices read as they always did (their study's fingerprint)."""
        data: dict[str, Any] = handler(self)
        if self.weights is None:
            data.pop("weights", None)
        return data


Param = Annotated[FloatParam | IntParam | CategoricalParam, Field(discriminator="type")]


def _check_conditions(space: dict[str, FloatParam | IntParam | CategoricalParam]) -> None:
    """Each ``when`` names another parameter of the space, categorical or int, with values it
    can take; conditions form no cycle."""
    for name, param in space.items():
        for parent, value in (param.when or {}).items():
            key = f"space.{name}.when.{parent}"
            if parent not in space:
                raise ValueError(
                    f"{key}: unknown parameter {parent!r} (the space has {sorted(space)})"
                )
            other = space[parent]
            for choice in allowed(value):
                if isinstance(other, CategoricalParam):
                    if choice not in other.choices:
                        raise ValueError(
                            f"{key}: {choice!r} is not one of {parent}'s choices {other.choices}"
                        )
                elif isinstance(other, IntParam):
                    if not isinstance(choice, int) or not other.low <= choice <= other.high:
                        raise ValueError(
                            f"{key}: {choice!r} is outside {parent}'s range [{other.low}, "
                            f"{other.high}]"
                        )
                else:
                    raise ValueError(
                        f"{key}: a condition needs a categorical or int parameter; {parent} is "
                        "a float"
                    )
    drawing_order(space)  # a ValueError naming the cycle, if any


def _check_bounds(low: float, high: float, log: bool) -> None:
    problems = []
    if low > high:
        problems.append(f"'low' ({low}) must not exceed 'high' ({high})")
    if log and low <= 0:
        problems.append(f"'low' must be > 0 with 'log: true', got {low}")
    if problems:
        raise ValueError("; ".join(problems))


def _check_step(step: float, data: dict[str, Any], combines_with_log: bool) -> None:
    """Refuse a step that is not positive, is given with ``log``, or does not divide
    ``high - low`` (where Optuna would silently lower ``high``); ``data`` holds the fields
    validated before it (a bound that failed is absent: it is reported on its own)."""
    if step <= 0:
        raise ValueError(f"'step' must be positive, got {step}")
    if data.get("log") and not combines_with_log:
        raise ValueError("'step' and 'log: true' cannot be combined")
    low, high = data.get("low"), data.get("high")
    if low is None or high is None or low > high:
        return
    drawn = _highest_drawn(low, high, step)
    if drawn is not None:
        range_ = f"[{_shown(low)}, {_shown(high)}]"
        raise ValueError(
            f"{_shown(step)} does not divide {range_}: Optuna would draw up to {_shown(drawn)}; "
            f"set high: {_shown(drawn)} or a step that divides the range"
        )


def _highest_drawn(low: float, high: float, step: float) -> float | None:
    """The highest value Optuna draws with ``step`` when the step does not divide
    ``high - low``, else None. Computed as Optuna does, in decimal on the numbers as written
    (0.1 divides [0, 1]); a remainder within float rounding (1e-9 steps) counts as none."""
    d_low, d_step = Decimal(str(low)), Decimal(str(step))
    d_range = Decimal(str(high)) - d_low
    if d_range % d_step <= d_step * Decimal("1e-9"):
        return None
    drawn = d_range // d_step * d_step + d_low
    return int(drawn) if isinstance(step, int) else float(drawn)


def _shown(number: float) -> str:
    """A bound or step as a sweep file would write it: ``0`` for 0.0, ``0.9`` for 0.9."""
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return repr(number)


class ObjectiveSpec(_Strict):
    """What a trial runs: an importable ``module:function`` called with the trial's parameters
    and the fixed keyword ``args``; an Optuna objective ``optuna: module:function`` called with
    an ``optuna.Trial`` as ``study.optimize`` would (it may suggest parameters ``space:`` does
    not name: define-by-run); or a ``command`` (a training script, unchanged; see
    sweeps.spec.command).

    A command's result is read from its stdout (JSON lines), from ``metrics_file`` or as
    ``metrics_from`` says (patterns, TensorBoard events: sweeps.spec.metrics_from); it runs
    in ``cwd`` (default: where the trial runs) with ``env`` added to its environment, and
    after the pruner said stop it has ``prune_grace_s`` to exit before it is terminated.
    ``allow_non_finite``: an infinite value completes its trial (by default it fails it; NaN
    always does)."""

    function: str | None = None
    optuna: str | None = None
    command: str | list[str | int | float] | None = None
    program: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    metrics_file: str | None = None
    metrics_from: MetricsFrom | None = None
    cwd: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    prune_grace_s: Float = Field(default=10.0, ge=0)
    allow_non_finite: bool = False
    launch: Launch = "once"  # a command's processes per trial (sweeps.spec.launch)

    @field_validator("function", "optuna")
    @classmethod
    def _importable(cls, value: str | None) -> str | None:
        if value is not None and not _OBJECTIVE.match(value):
            raise ValueError(f"must look like 'package.module:function', got {value!r}")
        return value

    @field_validator("env")
    @classmethod
    def _no_secrets(cls, value: dict[str, str]) -> dict[str, str]:
        secret = sorted(name for name in value if _SECRET_NAME.search(name))
        if secret:
            raise ValueError(
                f"{', '.join(secret)} looks like a secret; a sweep file is copied and stored "
                "with its study: export it where the trials run (your shell, slurm.setup)"
            )
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> ObjectiveSpec:
        given = [
            kind
            for kind in ("function", "optuna", "command", "program")
            if getattr(self, kind) is not None
        ]
        if len(given) > 1 and given != ["command", "program"]:
            first, second = given[:2]
            raise ValueError(
                f"give either '{first}' ({getattr(self, first)!r}) or '{second}' "
                f"({getattr(self, second)!r}), not both"
            )
        if not given:
            raise ValueError(
                "give 'function' (module:function), 'optuna' (an Optuna objective, "
                "module:function) or 'command' (a script to run)"
            )
        if self.is_function:
            extra = [k for k in _COMMAND_ONLY if k in self.model_fields_set]
            if extra:
                raise ValueError(f"{', '.join(extra)}: only for a command objective")
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Leave out what the other kind of objective does not use, so a function
        objective's pinned settings (its study's fingerprint) read as they always did."""
        data: dict[str, Any] = handler(self)
        unused = ("command", "program", *_COMMAND_ONLY) if self.is_function else ("function",)
        for key in unused:
            data.pop(key, None)
        for key in ("function", "optuna"):  # studies made before Optuna objectives read the same
            if data.get(key, "") is None:
                data.pop(key)
        if data.get("launch") == "once":  # the default: studies made before it read the same
            data.pop("launch")
        if data.get("metrics_from", "") is None:  # likewise for studies made before it
            data.pop("metrics_from")
        return data

    @property
    def is_function(self) -> bool:
        """Whether trials call a Python function (else they run a command)."""
        return self.entry_point is not None

    @property
    def entry_point(self) -> str | None:
        """The ``module:function`` trials call (a plain or an Optuna objective)."""
        return self.function if self.function is not None else self.optuna

    @property
    def takes_trial(self) -> bool:
        """Whether the function is an Optuna objective, called with an ``optuna.Trial``."""
        return self.optuna is not None


_COMMAND_ONLY = ("metrics_file", "metrics_from", "cwd", "env", "prune_grace_s", "launch")
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL", re.IGNORECASE)


class SamplerSpec(_Strict):
    """An Optuna sampler by class name, its arguments and its seed."""

    name: str = "TPESampler"
    seed: Seed | None = None
    args: dict[str, Any] = Field(default_factory=dict)


class PrunerSpec(_Strict):
    """An Optuna pruner by class name and its arguments."""

    name: str = "NopPruner"
    args: dict[str, Any] = Field(default_factory=dict)


_OLD_BILLED_BUDGET = "max_gpu_hours"  # what max_billed_gpu_hours was called: still read

MAX_N_TRIALS = 20_000
"""The most trial slots the workflow plans. It lists one receipt per slot and Snakemake builds
its DAG over all of them before the first trial starts: ``snakemake -n --cores 1`` took about
5 s for 10,000 slots and 39 s for 20,000 with ``reproducible: true`` (one job per slot), on a
loaded 2-core machine, growing with the slots (10**12 would never finish)."""


class Budget(_Strict):
    """How much the sweep may spend. ``n_trials`` counts across restarts.

    ``max_consecutive_failures``: the sweep stops when that many trials in a row fail with
    the same cause (0 or null: never); those failures are not the parameters' fault, so
    they do not use up ``n_trials`` and a re-run runs their slots again, unless
    ``count_failed: true``. ``max_billed_gpu_hours`` (billed, by the site's rule;
    ``max_gpu_hours`` is its old name, with the same meaning), ``max_energy_kwh`` and
    ``deadline`` (an ISO time, or a duration such as ``2h`` from the start of the study's
    first trial): once one is spent no new trial starts, and trials in flight finish
    (``on_exhausted: finish``) or are cancelled (``cancel``)."""

    n_trials: Int = Field(gt=0)
    max_retries: Int = Field(default=2, ge=0)
    max_consecutive_failures: Int | None = Field(default=3, ge=0)
    count_failed: bool = False
    max_billed_gpu_hours: Float | None = Field(
        default=None,
        gt=0,
        validation_alias=AliasChoices("max_billed_gpu_hours", _OLD_BILLED_BUDGET),
    )
    max_energy_kwh: Float | None = Field(default=None, gt=0)
    deadline: str | None = None
    on_exhausted: Literal["finish", "cancel"] = "finish"

    @model_validator(mode="before")
    @classmethod
    def _one_name(cls, data: Any) -> Any:
        if isinstance(data, dict) and _OLD_BILLED_BUDGET in data and "max_billed_gpu_hours" in data:
            raise ValueError(
                f"'{_OLD_BILLED_BUDGET}' is the old name of 'max_billed_gpu_hours': give one"
            )
        return data

    @field_validator("n_trials")
    @classmethod
    def _plannable(cls, value: int) -> int:
        if value > MAX_N_TRIALS:
            raise ValueError(
                f"more trials than the workflow can plan: at most {MAX_N_TRIALS}; it lists one "
                "receipt per trial slot and Snakemake builds its DAG over all of them before "
                "the first trial starts (about 5 s for 10,000 slots, 39 s for 20,000 with "
                "reproducible: true); split a larger search into studies of at most "
                f"{MAX_N_TRIALS} trials"
            )
        return value

    @field_validator("deadline")
    @classmethod
    def _deadline(cls, value: str | None) -> str | None:
        if value is not None:
            parse_deadline(value)  # raises ValueError saying what it accepts
        return value


class Resources(_Strict):
    """What one trial needs from the machine that runs it."""

    gpus: Int = Field(default=0, ge=0)
    cpus: Int = Field(default=1, ge=1)
    mem_gb: Float = Field(default=4, gt=0)
    time_min: Int = Field(default=60, gt=0)
    nodes: Int = Field(default=1, ge=1)
    tasks_per_node: Int | None = Field(default=None, ge=1)


class PartitionLimits(_Strict):
    """What one partition allows a job (``dispatch.slurm.limits.<partition>``, from the site)."""

    gpus_per_node: Int | None = Field(default=None, ge=1)
    max_nodes: Int | None = Field(default=None, ge=1)
    whole_nodes: bool = False  # jobs get (and are billed for) whole nodes


class SlurmSettings(_Strict):
    """How a trial becomes a Slurm job (``dispatch.slurm``); unset flags are not sent.

    ``account`` falls back to ``$SBATCH_ACCOUNT``; ``require_account`` makes a missing one an
    error before anything is submitted. GPUs, CPUs and memory default to ``resources``.
    Trials that a process's controllers submit within ``array_window_s`` of each other go to
    Slurm as one job array (0: every trial is a plain job).
    """

    partition: str | None = None
    account: str | None = None
    require_account: bool = False
    gpus_per_node: Int | None = Field(default=None, ge=0)
    gpu_flag: Literal["gpus-per-node", "gpus"] = "gpus-per-node"
    cpus_per_task: Int | None = Field(default=None, ge=1)
    mem_per_gpu: str | None = None
    mem_per_cpu: str | None = None
    setup: list[str] = Field(default_factory=list)
    python: str | None = None
    additional: dict[str, str | int | bool] = Field(default_factory=dict)
    on_interrupt: Literal["cancel", "keep"] = "cancel"
    status_interval_s: Float = Field(default=2.0, gt=0)
    status_max_interval_s: Float = Field(default=30.0, gt=0)
    vanished_after_s: Float = Field(default=60.0, gt=0)
    array_window_s: Float = Field(default=0.25, ge=0, le=10)
    billing: Billing = Field(default_factory=Billing)
    limits: dict[str, PartitionLimits] = Field(default_factory=dict)
    # The CPU cores nearest each GPU of a node (LUMI's per-GCD masks), as core ranges.
    gpu_cpus: dict[Int, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_memory_flag(self) -> SlurmSettings:
        if self.mem_per_gpu and self.mem_per_cpu:
            raise ValueError("give either 'mem_per_gpu' or 'mem_per_cpu', not both")
        return self


class Dispatch(_Strict):
    """Where trials run. ``folder`` holds submitit's pickles and logs."""

    executor: str = "local"  # a registered backend (sweeps.run.executors.registry)
    folder: str | None = None
    poll_interval_s: Float = Field(default=0.5, gt=0)
    mode: str = "job"  # a registered run strategy (sweeps.run.strategies.registry)
    warm: WarmWorkers = Field(default_factory=WarmWorkers)
    slurm: SlurmSettings = Field(default_factory=SlurmSettings)


class SweepSpec(_Strict):
    """A whole sweep: everything needed to re-run it and compare."""

    study: str
    description: str = ""
    storage: str = "sqlite:///results/{study}/study.db"  # in SweepPaths.root
    storage_proxy: StorageProxy = Field(default_factory=StorageProxy)
    objective: ObjectiveSpec
    directions: list[Literal["minimize", "maximize"]] = Field(min_length=1)
    metrics: list[str] | None = None
    space: dict[str, Param] = Field(default_factory=dict)  # an Optuna objective's: optional
    sampler: SamplerSpec = Field(default_factory=SamplerSpec)
    pruner: PrunerSpec = Field(default_factory=PrunerSpec)
    budget: Budget
    parallelism: Int = Field(default=1, ge=1)
    reproducible: bool = False
    seed: Seed = 0
    resources: Resources = Field(default_factory=Resources)
    dispatch: Dispatch = Field(default_factory=Dispatch)
    data: DataSpec = Field(default_factory=DataSpec)
    # Published parameters to re-run: slot i runs replay[i] instead of sampling.
    replay: list[dict[str, Any]] = Field(default_factory=list)
    # The figures a publication reports for this sweep (sweeps.spec.published); else None.
    published: Published | None = None
    # Where each finished trial is sent as a run (sweeps.spec.tracking); else None.
    tracking: TrackingSpec | None = None
    # The sweep file's own budget.n_trials when this run's is smaller (sweeps.spec.shortening);
    # set by loading, never by the file.
    _shortened_from: int | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "direction" in data:
            if "directions" in data:
                raise ValueError("give either 'direction' or 'directions', not both")
            data["directions"] = [data.pop("direction")]
        if isinstance(data.get("objective"), str):
            data["objective"] = {"function": data["objective"]}
        return data

    @field_validator("metrics")
    @classmethod
    def _metric_names(cls, value: list[str] | None) -> list[str] | None:
        """A cost metric's old name (``gpu_hours``) reads as today's (sweeps.spec.facts)."""
        return None if value is None else [metric_name(name) for name in value]

    @field_validator("storage")
    @classmethod
    def _no_literal_password(cls, value: str) -> str:
        from sweeps.storage.credentials import literal_password_problem

        problem = literal_password_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("storage")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        """A storage Optuna cannot open here (``mongodb://...``) is refused before any run."""
        from sweeps.storage.urls import backend_of

        backend_of(value)  # ValueError naming the schemes it takes
        return value

    @field_validator("study")
    @classmethod
    def _study_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                f"must start with a letter or digit and use only letters, digits, '.', '_', '-'"
                f"; got {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SweepSpec:
        if not self.space and not self.objective.takes_trial:
            raise ValueError(
                "space: give at least one parameter (an Optuna objective, objective: {optuna: "
                "module:function}, may suggest its own instead)"
            )
        if self.metrics is not None and len(self.metrics) != len(self.directions):
            raise ValueError(
                f"'metrics' names {len(self.metrics)} values but 'directions' has "
                f"{len(self.directions)}"
            )
        _check_conditions(self.space)
        for slot, params in enumerate(self.replay):
            wanted = expected(self.space, params)
            if set(params) != wanted:
                raise ValueError(
                    f"replay[{slot}] names {sorted(params)}, the space draws {sorted(wanted)} "
                    "for them"
                )
        if self.storage_proxy.mode == "grpc":
            from sweeps.storage.proxy import PROXIED_BACKENDS
            from sweeps.storage.urls import backend_of

            backend = backend_of(self.storage_url)
            if backend not in PROXIED_BACKENDS:
                raise ValueError(
                    f"storage_proxy.mode 'grpc': Optuna's gRPC proxy cannot serve a {backend} "
                    "storage; use a database storage (sqlite, postgresql, mysql) or mode 'off'"
                )
        if len(self.replay) > self.budget.n_trials:
            raise ValueError(f"replay lists {len(self.replay)} trials, n_trials is smaller")
        if self.published is not None:
            _check_published(self.published, self)
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """A sweep without published figures reads as it always did (its recorded spec)."""
        data: dict[str, Any] = handler(self)
        for key in ("published", "tracking"):  # unset: the recorded spec reads as it always did
            if data.get(key, "") is None:
                data.pop(key)
        return data

    @property
    def storage_url(self) -> str:
        """The storage setting with ``{study}`` filled in (secrets still unexpanded)."""
        return self.storage.replace("{study}", self.study)

    @property
    def sampler_seed(self) -> int:
        """The sampler's seed: its own, else the sweep's."""
        return self.sampler.seed if self.sampler.seed is not None else self.seed

    @property
    def multi_objective(self) -> bool:
        return len(self.directions) > 1

    @property
    def shortened_from(self) -> int | None:
        """The sweep file's ``budget.n_trials`` when this run was given fewer trials (``n_trials=N``
        on the command line, or a site override), else None."""
        return self._shortened_from

    def shortened(self, sweep_file_trials: int) -> SweepSpec:
        """This spec, marked as a run shortened from the file's ``sweep_file_trials``."""
        marked = self.model_copy()
        marked._shortened_from = sweep_file_trials
        return marked


def _check_published(published: Published, spec: SweepSpec) -> None:
    if spec.multi_objective:
        raise ValueError(
            f"'published' figures compare one objective; this sweep has {len(spec.directions)}"
        )
    for figure in published.figures:
        if figure.params is not None and set(figure.params) != set(spec.space):
            raise ValueError(
                f"published figure {figure.name!r}: 'params' names {sorted(figure.params)}, "
                f"the space has {sorted(spec.space)}"
            )
