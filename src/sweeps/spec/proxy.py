"""The ``storage_proxy`` setting: whether a sweep's processes reach a database through one
fan-in process (docs/storage.md, "Hundreds of workers on one study")."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sweeps.spec.numbers import Int

ProxyMode = Literal["off", "grpc", "auto"]


class StorageProxy(BaseModel):
    """``mode``: ``off``; ``grpc`` (always); ``auto`` (default: on a PostgreSQL or MariaDB
    storage once more than ``auto_above`` processes may use the study at once).
    ``connections``: the most database connections the proxy holds. ``host``: the address
    it listens on when trials run on other hosts (default: this host's name); trials on this
    host reach it through a Unix socket only this user may open. ``restarts``: how often the
    run restarts a proxy that died (0: never; then the sweep stops).
    ``storage_proxy: grpc`` is short for ``storage_proxy: {mode: grpc}``."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    mode: ProxyMode = "auto"
    connections: Int = Field(default=4, ge=2, le=64)  # Optuna's schema check takes two
    auto_above: Int = Field(default=32, ge=1)
    host: str | None = Field(default=None, min_length=1)
    restarts: Int = Field(default=10, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"mode": data} if isinstance(data, str) else data
