"""Turning a sweep's storage setting into an Optuna storage."""

from sweeps.storage.credentials import CredentialError, expand_url, literal_password_problem
from sweeps.storage.open import close_storage, open_storage
from sweeps.storage.urls import backend_of, journal_path, redact_url, sqlite_path, storage_file

__all__ = [
    "CredentialError",
    "backend_of",
    "close_storage",
    "expand_url",
    "journal_path",
    "literal_password_problem",
    "open_storage",
    "redact_url",
    "sqlite_path",
    "storage_file",
]
