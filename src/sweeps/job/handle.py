"""The handle an objective receives: report progress, ask whether to stop, know its place."""

from __future__ import annotations

import logging
import math
import numbers
import os
import sys
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import optuna

from sweeps.job.checkpoint import Checkpoint, read_checkpoint, write_checkpoint
from sweeps.job.devices import VISIBILITY_VARS, torch_device
from sweeps.job.distributed import Rank
from sweeps.job.seeding import seed_everything
from sweeps.job.task import TrialTask
from sweeps.spec.samplers import build_pruner, build_sampler
from sweeps.storage import open_storage
from sweeps.storage.optuna_internals import TRIAL_STATE, cache_trial, storage_of, study_id_of

TrialPruned = optuna.TrialPruned

LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"
ORDER = "report(value, step): Optuna's order"


class TrialHandle(optuna.Trial):
    """What an objective may use.

    ``params``, ``seed``, ``device``, ``report``/``should_prune``, ``checkpoint_dir`` with
    ``save_checkpoint``/``load_checkpoint``, and ``log`` (a logger writing ``log_path``).
    In a multi-GPU trial, ``rank``/``world_size`` place this process and ``init_distributed``
    joins the process group; only rank 0 reports and writes checkpoints, and ``should_prune``
    gives every rank rank 0's answer.

    It is an ``optuna.Trial`` of the sweep's study, so code written for Optuna (``report(value,
    step)``, ``should_prune()``, ``study``, ``suggest_*`` of a parameter in the sweep's space)
    and optuna-integration's pruning callbacks take it as it is. Optuna's trial state is built
    on first use: a trial that never reports never opens the study.

    Intermediate values go straight to the study so the pruner and the dashboard see them live.
    A step reported by an earlier attempt of the same trial, or restored from the slot's
    checkpoint by a retry, is not reported twice.
    """

    def __init__(self, task: TrialTask, rank: Rank | None = None) -> None:
        self._task = task
        self._rank = rank or Rank()
        self.rank = self._rank.rank
        self.world_size = self._rank.world_size
        self.local_rank = self._rank.local_rank
        self.local_world_size = self._rank.local_world_size  # this node's (Lightning's devices)
        self.slot = task.slot
        self._params = dict(task.params)
        self.seed = task.seed
        self.reproducible = task.spec.reproducible
        self.log = logging.getLogger(f"sweeps.trial.{task.number}")
        self.last_step: int | None = None
        self._values: dict[int, float] = {}

    @property
    def number(self) -> int:
        """The Optuna trial number."""
        return self._task.number

    @property
    def params(self) -> dict[str, Any]:
        """The trial's parameters (a plain objective's first argument), with those an Optuna
        objective suggested so far."""
        frozen = self.__dict__.get("_cached_frozen_trial")
        return {**self._params, **frozen.params} if frozen is not None else self._params

    if not TYPE_CHECKING:  # typed as optuna.Trial's attributes; built on first use

        def __getattr__(self, name: str) -> Any:
            if name not in TRIAL_STATE or "_task" not in self.__dict__:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            self._bind()
            try:
                return self.__dict__[name]
            except KeyError:
                raise AttributeError(name) from None

    @property
    def study(self) -> optuna.Study:
        """The sweep's study (built on first use)."""
        if self.world_size > 1:
            caller = sys._getframe(1).f_globals.get("__name__", "")
            refuse_rank_zero_callbacks(caller, self.world_size)
        if "_study" not in self.__dict__:
            self._bind()
        study: optuna.Study = self.__dict__["_study"]
        return study

    @study.setter
    def study(self, study: optuna.Study) -> None:
        self.__dict__["_study"] = study

    def _bind(self) -> None:
        """Make this an ``optuna.Trial`` of the sweep's study, with the sweep's pruner, and
        its sampler where the objective may suggest parameters of its own (define-by-run)."""
        spec = self._task.spec
        study = optuna.load_study(
            study_name=spec.study,
            storage=open_storage(spec.storage_url),
            sampler=job_sampler(self._task),
            pruner=build_pruner(spec),
        )
        if spec.objective.takes_trial:  # it may set parameters: the cache must know the trial
            storage = storage_of(study)
            cache_trial(storage, study_id_of(study), storage.get_trial(self._task.trial_id))
        optuna.Trial.__init__(self, study, self._task.trial_id)

    @cached_property
    def checkpoint_dir(self) -> Path:
        """A directory that survives requeues and retries of this trial (one per slot)."""
        path = Path(self._task.checkpoint_dir)
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def log_path(self) -> Path | None:
        """The file ``log`` writes: the trial's log artifact (None when not logging to a file)."""
        if not self._task.log_path:
            return None
        path = Path(self._task.log_path)
        return path if self.rank == 0 else path.with_suffix(f".rank{self.rank}{path.suffix}")

    @cached_property
    def device(self) -> str:
        """``cuda:N`` (also ROCm builds) when the trial was given a GPU torch sees, else ``cpu``.

        Reading it seeds torch (and makes it deterministic in reproducible mode).
        """
        seed_everything(self.seed, self.reproducible)
        return torch_device(self._task.spec.resources.gpus)

    def report(self, value: float, step: int) -> None:
        """Record an intermediate ``value`` at ``step`` (an epoch, say), in Optuna's order.

        ``value`` is a number, a numpy scalar or a 0-d array or tensor; ``step`` an int >= 0.
        A float step (``report(epoch, accuracy)``, the old order) raises ``TypeError``.
        """
        value, step = checked_report(value, step)
        self.last_step = step
        if self.rank != 0 or step in self._reported_steps or math.isnan(value):
            return
        super().report(value, step)
        self._reported_steps.add(step)
        self._values[step] = value

    def should_prune(self) -> bool:
        """Whether the pruner would stop this trial now (rank 0 decides for all ranks).

        In a multi-rank trial every rank must call it (it is a broadcast).
        """
        decision = super().should_prune() if self.rank == 0 else False
        if self.world_size == 1:
            return decision
        import torch
        import torch.distributed as dist

        if not dist.is_initialized():
            return decision
        flag = torch.tensor(
            [int(decision)], device=self.device if dist.get_backend() == "nccl" else "cpu"
        )
        dist.broadcast(flag, src=0)
        return bool(flag.item())

    def init_distributed(self, backend: str | None = None) -> None:
        """Join the trial's process group (``nccl`` on GPUs, also RCCL on ROCm; else ``gloo``)."""
        if self.world_size == 1:
            return
        import torch.distributed as dist

        if not dist.is_initialized():
            chosen = backend or ("nccl" if self.device.startswith("cuda") else "gloo")
            dist.init_process_group(backend=chosen)

    def save_checkpoint(self, state: Any, step: int) -> Path:
        """Save ``state`` (anything torch.save or pickle takes) as of ``step``, atomically."""
        if self.rank != 0:
            return self.checkpoint_dir / "checkpoint.pt"
        reported = {s: v for s, v in self._values.items() if s <= step}
        return write_checkpoint(
            self.checkpoint_dir, Checkpoint(step, state, dict(self.params), reported)
        )

    def load_checkpoint(self) -> Checkpoint | None:
        """The slot's last checkpoint, or None when there is none (or it has other params).

        The values its attempt reported up to its step are copied onto this trial, so the curve
        stays whole and the objective may skip to ``checkpoint.step + 1``.
        """
        checkpoint = read_checkpoint(self.checkpoint_dir)
        if checkpoint is None:
            return None
        if checkpoint.params != self.params:
            self.log.warning("ignoring a checkpoint written for other parameters")
            return None
        for step, value in sorted(checkpoint.reported.items()):
            if self.rank == 0 and step not in self._reported_steps:
                super().report(value, step)
                self._reported_steps.add(step)
            self._values[step] = value
        self.last_step = checkpoint.step
        self.log.info("resumed from the checkpoint of step %d", checkpoint.step)
        return checkpoint

    @cached_property
    def _reported_steps(self) -> set[int]:
        stored = self.storage.get_trial(self._task.trial_id).intermediate_values
        self._values.update(stored)
        return set(stored)

    def environment(self) -> dict[str, Any]:
        """The accelerator visibility this trial was given."""
        return {k: os.environ[k] for k in VISIBILITY_VARS if k in os.environ}

    def open_log(self) -> logging.Handler | None:
        """Attach the trial's log file to ``log`` (the runner does this); return the handler."""
        if self.log_path is None:
            return None
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(self.log_path)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        self.log.addHandler(handler)
        self.log.setLevel(logging.INFO)
        return handler

    def close_log(self, handler: logging.Handler | None) -> None:
        """Detach and close the log file (a warm worker runs many trials in one process)."""
        if handler is not None:
            self.log.removeHandler(handler)
            handler.close()


# Job-side samplers draw from seed streams apart from the slot controllers' (slot numbers).
JOB_SAMPLER_STREAM = 1 << 24
NOT_IN_SPACE = "a sweep draws every parameter of a 'function' objective from its space"
REPRODUCIBLE = (
    "reproducible: true draws every parameter before the trial starts, so that a trial number "
    "always gets the same ones"
)
REPLAYED = "slot {slot} replays the parameters that replay[{slot}] lists"


def job_sampler(task: TrialTask) -> optuna.samplers.BaseSampler:
    """The sampler of the job's trial: the sweep's own (its seed stream this trial's) for an
    Optuna objective, so what it suggests beyond ``space:`` is drawn against the shared study;
    else one that refuses any parameter the trial was not given, naming why."""
    spec = task.spec
    if not spec.objective.takes_trial:
        return _SampledByTheSweep(NOT_IN_SPACE)
    if spec.reproducible:
        return _SampledByTheSweep(REPRODUCIBLE)
    if task.slot < len(spec.replay):
        return _SampledByTheSweep(REPLAYED.format(slot=task.slot))
    return build_sampler(spec, stream=JOB_SAMPLER_STREAM + task.number)


class _SampledByTheSweep(optuna.samplers.RandomSampler):
    """A sampler for which ``suggest_*`` returns the trial's own parameter, never a new one."""

    def __init__(self, why: str) -> None:
        super().__init__()
        self.why = why

    def sample_independent(self, study: Any, trial: Any, name: str, distribution: Any) -> Any:
        raise ValueError(
            f"suggest {name!r}: not a parameter of this trial; {self.why} (add {name!r} under "
            "space: in the sweep file)"
        )


RANK_ZERO_CALLBACK = (
    "{module}: its pruning callback asks should_prune() on rank 0 alone, which would leave "
    "the other ranks of this {world}-rank trial waiting; use "
    "sweeps.job.lightning.PruningCallback(trial, monitor=...), which every rank asks"
)


def refuse_rank_zero_callbacks(caller: str, world_size: int) -> None:
    """Refuse optuna-integration's Lightning callback in a multi-rank trial: it reads the
    study on every rank at fit start, so every rank raises together (no rank is left hanging)."""
    if caller.startswith("optuna_integration") and "lightning" in caller:
        raise ValueError(RANK_ZERO_CALLBACK.format(module=caller, world=world_size))


def checked_report(value: Any, step: Any) -> tuple[float, int]:
    """``(float(value), int(step))`` for ``report(value, step)``, or a ``TypeError`` that
    names Optuna's order: an old-order call ``report(epoch, accuracy)`` fails here."""
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        hint = ""
        if isinstance(value, numbers.Integral) and _as_float(step) is not None:
            hint = f" (for step {value!r} write report({_text(step)}, {value!r}))"
        raise TypeError(f"{ORDER}; step must be an int, got {_show(step)}{hint}")
    if step < 0:
        raise ValueError(f"{ORDER}; step must be >= 0, got {int(step)}")
    number = _as_float(value)
    if number is None:
        raise TypeError(
            f"{ORDER}; value must be a number or a 0-d array or tensor, got {_show(value)}"
        )
    return number, int(step)


def _as_float(x: Any) -> float | None:
    """A real number, a numpy scalar or a 0-d array or tensor as a float; else None."""
    if isinstance(x, bool | str | bytes | complex) or x is None:
        return None
    shape = getattr(x, "shape", None)
    if shape is not None and len(tuple(shape)) != 0:
        return None
    try:
        return float(x.item() if hasattr(x, "item") else x)
    except (TypeError, ValueError, RuntimeError):
        return None


def _show(x: Any) -> str:
    """``x``'s type and value, briefly (an array's or tensor's shape, not its values)."""
    shape = getattr(x, "shape", None)
    if shape is not None and len(tuple(shape)) != 0:
        return f"{type(x).__name__} of shape {tuple(shape)}"
    return f"{type(x).__name__} {_text(x)}"


def _text(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."
