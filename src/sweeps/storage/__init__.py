"""Turning a sweep's storage setting into an Optuna storage."""

from sweeps.storage.open import open_storage
from sweeps.storage.urls import redact_url, sqlite_path

__all__ = ["open_storage", "redact_url", "sqlite_path"]
