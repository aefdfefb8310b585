"""Bundles: a sweep exported with everything needed to re-run and compare it."""

from sweeps.bundle.export import export_bundle
from sweeps.bundle.read import Bundle, read_bundle

__all__ = ["Bundle", "export_bundle", "read_bundle"]
