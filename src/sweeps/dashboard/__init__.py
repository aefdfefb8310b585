"""optuna-dashboard for a sweep: the study, its trials' cluster facts, logs and a summary note."""

from sweeps.dashboard.note import study_note, write_study_note
from sweeps.dashboard.serve import forward_hint, serve

__all__ = ["forward_hint", "serve", "study_note", "write_study_note"]
