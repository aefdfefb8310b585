"""optuna-dashboard for a sweep: the study, its trials' cluster facts, logs and a summary note."""

from sweeps.dashboard.note import study_note, write_study_note
from sweeps.dashboard.serve import DashboardError, forward_hint, is_loopback, listen
from sweeps.dashboard.token import new_token

__all__ = [
    "DashboardError",
    "forward_hint",
    "is_loopback",
    "listen",
    "new_token",
    "study_note",
    "write_study_note",
]
