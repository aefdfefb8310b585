"""Sweep files: the data model, loading with clear errors, and what they resolve to."""

from sweeps.spec.errors import SpecError
from sweeps.spec.load import deep_merge, load_spec, spec_from_dict
from sweeps.spec.model import SweepSpec

__all__ = ["SpecError", "SweepSpec", "deep_merge", "load_spec", "spec_from_dict"]
