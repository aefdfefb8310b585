"""A small real sweep whose trials run in their controller's process (the inline strategy),
sent to the trackers of its ``tracking:``; and W&B's offline run files read back."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from optuna.trial import FrozenTrial

from support.inline_strategy import InlineStrategy
from support.specs import base_spec
from sweeps.controller.slot import run_slot
from sweeps.controller.study_job import run_study_job
from sweeps.run.strategies import STRATEGIES, register_strategy
from sweeps.spec import SweepSpec, spec_from_dict
from sweeps.study import load_study


@contextmanager
def inline_mode() -> Iterator[None]:
    """``dispatch.mode: inline`` while the block runs."""
    register_strategy(InlineStrategy())
    try:
        yield
    finally:
        del STRATEGIES["inline"]


def tracked_spec(tracking: dict[str, Any], n_trials: int = 3, **overrides: Any) -> SweepSpec:
    """A sweep of ``n_trials`` quadratic trials (3 reported steps each) tracked as given."""
    data = base_spec(
        budget={"n_trials": n_trials}, dispatch={"mode": "inline"}, tracking=tracking, **overrides
    )
    return spec_from_dict(data)


def run_sweep(spec: SweepSpec) -> list[FrozenTrial]:
    """Prepare the study, run every slot in this process; the study's trials."""
    with inline_mode():
        run_study_job(spec)
        for slot in range(spec.budget.n_trials):
            run_slot(spec, slot, Path(f"results/{spec.study}/trials/{slot}.json"))
    return load_study(spec).trials


_HEADER = 7  # ":W&B", a magic number and a version; each record's header is 7 bytes too
_BLOCK = 32 * 1024
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def wandb_records(path: Path) -> list[Any]:
    """The records of an offline run's ``run-<id>.wandb`` (W&B's protobuf ``Record``, in a
    LevelDB-style log of 32 KiB blocks)."""
    from wandb.proto.wandb_internal_pb2 import Record

    data = path.read_bytes()
    assert data[:4] == b":W&B", path
    pos, pending, records = _HEADER, b"", []
    while pos + _HEADER <= len(data):
        if _BLOCK - pos % _BLOCK < _HEADER:  # a block's tail too short for a header: padding
            pos += _BLOCK - pos % _BLOCK
            continue
        _, length, kind = struct.unpack("<IHB", data[pos : pos + _HEADER])
        chunk = data[pos + _HEADER : pos + _HEADER + length]
        pos += _HEADER + length
        if kind in (_FULL, _FIRST):
            pending = chunk
        elif kind in (_MIDDLE, _LAST):
            pending += chunk
        if kind in (_FULL, _LAST):
            record = Record()
            record.ParseFromString(pending)
            records.append(record)
    return records


def wandb_run(run_dir: Path) -> dict[str, Any]:
    """An offline run as it will be synced: its name, config, history by step and summary."""
    import json

    (path,) = run_dir.glob("run-*.wandb")
    run: dict[str, Any] = {"config": {}, "history": {}, "summary": {}}
    for record in wandb_records(path):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run["name"], run["group"] = record.run.display_name, record.run.run_group
            run["tags"] = list(record.run.tags)
            for item in record.run.config.update:
                run["config"][item.key] = json.loads(item.value_json)
        elif kind == "history":
            row = {_key(i): json.loads(i.value_json) for i in record.history.item}
            run["history"][row["_step"]] = row
        elif kind == "summary":
            for item in record.summary.update:
                run["summary"][_key(item)] = json.loads(item.value_json)
        elif kind == "exit":
            run["exit_code"] = record.exit.exit_code
    return run


def _key(item: Any) -> str:
    return item.key or "/".join(item.nested_key)
