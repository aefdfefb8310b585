"""The YAHPO Gym surrogate of LCBench: learning curves of MLPs on OpenML tasks, in milliseconds.

An ONNX model (Pfisterer et al. 2022, Apache-2.0) maps a configuration and an epoch (1..52) to
validation accuracy and more; ``train`` reports one value per epoch, so samplers and pruners can
be checked in seconds. The model file is read at run time from ``model_dir`` (an objective
argument), else ``$SWEEPS_LCBENCH_DIR``, else the nearest ``shared/published/yahpo-lcbench``
beside the working directory; it is never copied. Needs the ``bench`` extra (onnxruntime).
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from sweeps.job.handle import TrialHandle, TrialPruned

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


def curve(
    params: dict[str, Any], instance: str, epochs: int = MAX_EPOCH, model_dir: str | None = None
) -> dict[str, np.ndarray]:
    """Every output of the surrogate at epochs 1..``epochs`` for one configuration."""
    session, encoding = _session(str(model_directory(model_dir)))
    if instance not in encoding:
        raise ValueError(f"unknown LCBench instance {instance!r}; known: {sorted(encoding)}")
    steps = np.arange(1, epochs + 1, dtype=np.float32)
    rows = np.tile([float(params[name]) for name in INPUTS[1:]], (epochs, 1)).astype(np.float32)
    x_cont = np.column_stack([steps, rows]).astype(np.float32)
    x_cat = np.full((epochs, 1), encoding[instance], dtype=np.int32)
    out = session.run(None, {"x_cat": x_cat, "x_cont": x_cont})[0]
    return {name: out[:, i] for i, name in enumerate(OUTPUTS)}


def train(
    params: dict[str, Any],
    trial: TrialHandle,
    instance: str = "167168",
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
