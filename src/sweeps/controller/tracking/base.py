"""What every tracker is: a name under ``tracking:``, the package it needs, one method."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from optuna.trial import FrozenTrial

from sweeps.spec import SweepSpec


class Tracker(ABC):
    """Sends a finished trial to an experiment tracker as one run of its own."""

    name: ClassVar[str]
    """Its key under ``tracking:`` and the pip extra that installs :attr:`package`."""
    package: ClassVar[str]
    """The module it imports (only when it logs)."""

    @abstractmethod
    def log_trial(self, spec: SweepSpec, trial: FrozenTrial) -> None:
        """Log ``trial`` as the run ``<study>-<number>``; raise on any failure."""

    def where(self, spec: SweepSpec) -> str:
        """Where it logs ``spec``'s trials, as a warning may show it (no secret)."""
        return self.name
