"""Import other tools' sweep files (W&B sweeps, Hydra's Optuna sweeper) as sweep files.

Each source has one module with ``convert(data, source, options) -> Imported``. What a sweep file
cannot express is an :class:`UnsupportedConstruct` naming the file, key and construct; nothing is
approximated silently, and Python-defined search spaces are never executed.
"""

from sweeps.importers.base import Imported, ImportOptions, UnsupportedConstruct
from sweeps.importers.convert import SOURCES, detect_source, import_file, write_imported

__all__ = [
    "SOURCES",
    "ImportOptions",
    "Imported",
    "UnsupportedConstruct",
    "detect_source",
    "import_file",
    "write_imported",
]
