"""The YAHPO Gym surrogate of LCBench: learning curves of MLPs on OpenML tasks, in milliseconds.

An ONNX model (Pfisterer et al. 2022, Apache-2.0) maps a configuration and an epoch (1..52) to
validation accuracy and more; ``train`` reports one value per epoch, so samplers and pruners can
be checked in seconds. The model file is read at run time from ``model_dir`` (an objective
argument), else ``$SWEEPS_LCBENCH_DIR``, else the nearest ``shared/published/yahpo-lcbench``
beside the working directory; it is never copied. Needs the ``bench`` extra (onnxruntime).

The surrogate covers the 34 OpenML tasks of :data:`INSTANCES`, each searched over
:data:`SPACE`; ``sweeps validate`` refuses any other ``instance`` before a trial runs.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from sweeps.job.handle import TrialHandle, TrialPruned
from sweeps.job.objective_check import checks_args

OUTPUTS = (
    "time",
    "val_accuracy",
    "val_cross_entropy",
    "val_balanced_accuracy",
    "test_cross_entropy",
    "test_balanced_accuracy",
)
# The surrogate's continuous inputs, in order (epoch first).
INPUTS = (
    "epoch",
    "batch_size",
    "learning_rate",
    "momentum",
    "weight_decay",
    "num_layers",
    "max_units",
    "max_dropout",
)
MAX_EPOCH = 52
DEFAULT_INSTANCE = "167168"
# The instances: the OpenML task ids of YAHPO Gym's lcbench scenario (the OpenML_task_id
# choices of config_space.json, the instances of instance_target_statistics.csv), ordered as
# there. Each has a code in encoding.json, which also codes 167083, a task the scenario leaves
# out.
INSTANCES = (
    "3945",
    "7593",
    "34539",
    "126025",
    "126026",
    "126029",
    "146212",
    "167104",
    "167149",
    "167152",
    "167161",
    "167168",
    "167181",
    "167184",
    "167185",
    "167190",
    "167200",
    "167201",
    "168329",
    "168330",
    "168331",
    "168335",
    "168868",
    "168908",
    "168910",
    "189354",
    "189862",
    "189865",
    "189866",
    "189873",
    "189905",
    "189906",
    "189908",
    "189909",
)
# The surrogate's search space (config_space.json, epoch aside) as a sweep file's ``space:``.
SPACE: dict[str, dict[str, Any]] = {
    "batch_size": {"type": "int", "low": 16, "high": 512, "log": True},
    "learning_rate": {"type": "float", "low": 1.0e-4, "high": 0.1, "log": True},
    "momentum": {"type": "float", "low": 0.1, "high": 0.99},
    "weight_decay": {"type": "float", "low": 1.0e-5, "high": 0.1},
    "num_layers": {"type": "int", "low": 1, "high": 5},
    "max_units": {"type": "int", "low": 64, "high": 1024, "log": True},
    "max_dropout": {"type": "float", "low": 0.0, "high": 1.0},
}


def check_instance(instance: object) -> str:
    """``instance`` if it is one of :data:`INSTANCES`; else ``ValueError`` listing them."""
    if not isinstance(instance, str) or instance not in INSTANCES:
        raise ValueError(
            f"instance {instance!r} is not one of the {len(INSTANCES)} LCBench instances of the "
            f"surrogate (OpenML task ids, as strings); known: {', '.join(INSTANCES)}"
        )
    return instance


def check_args(args: dict[str, Any]) -> None:
    """Refuse, before anything runs, an unknown instance or epochs outside 1..52."""
    check_instance(args.get("instance", DEFAULT_INSTANCE))
    epochs = args.get("epochs", MAX_EPOCH)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= MAX_EPOCH:
        raise ValueError(f"epochs = {epochs!r}: must be an int in 1..{MAX_EPOCH}")


def model_directory(model_dir: str | None = None) -> Path:
    """Where ``model.onnx`` and ``encoding.json`` lie."""
    if model_dir:
        return Path(model_dir)
    if os.environ.get("SWEEPS_LCBENCH_DIR"):
        return Path(os.environ["SWEEPS_LCBENCH_DIR"])
    for parent in (Path.cwd(), *Path.cwd().parents):
        candidate = parent / "shared" / "published" / "yahpo-lcbench"
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        "the LCBench surrogate was not found: pass objective.args.model_dir or set "
        "SWEEPS_LCBENCH_DIR to the directory holding model.onnx and encoding.json"
    )


@cache
def _session(directory: str) -> tuple[Any, dict[str, int]]:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(Path(directory) / "model.onnx"), options)
    encoding = json.loads((Path(directory) / "encoding.json").read_text())["OpenML_task_id"]
    return session, encoding


def predict(
    x_cont: np.ndarray, instance: str, model_dir: str | None = None
) -> dict[str, np.ndarray]:
    """Every output of the surrogate for rows of :data:`INPUTS` (epoch first), in one call."""
    session, encoding = _session(str(model_directory(model_dir)))
    x_cat = np.full((len(x_cont), 1), encoding[check_instance(instance)], dtype=np.int32)
    out = session.run(None, {"x_cat": x_cat, "x_cont": np.asarray(x_cont, dtype=np.float32)})[0]
    return {name: out[:, i] for i, name in enumerate(OUTPUTS)}


def curve(
    params: dict[str, Any], instance: str, epochs: int = MAX_EPOCH, model_dir: str | None = None
) -> dict[str, np.ndarray]:
    """Every output of the surrogate at epochs 1..``epochs`` for one configuration."""
    steps = np.arange(1, epochs + 1, dtype=np.float32)
    rows = np.tile([float(params[name]) for name in INPUTS[1:]], (epochs, 1))
    return predict(np.column_stack([steps, rows]), instance, model_dir)


@checks_args(check_args)
def train(
    params: dict[str, Any],
    trial: TrialHandle,
    instance: str = DEFAULT_INSTANCE,
    epochs: int = MAX_EPOCH,
    model_dir: str | None = None,
) -> float:
    """Report validation accuracy (percent) per epoch, prune when told; return the last."""
    accuracy = curve(params, instance, epochs, model_dir)["val_accuracy"]
    for epoch, value in enumerate(accuracy, start=1):
        trial.report(float(value), epoch)
        if trial.should_prune():
            raise TrialPruned(f"pruned at epoch {epoch} with val_accuracy {value:.2f}")
    return float(accuracy[-1])
