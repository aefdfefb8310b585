"""Entry points of the hpc-sweeps distribution, guarded against a foreign ``sweeps`` package.

W&B's sweep engine is also imported as ``sweeps``. The ``sweeps`` command and the Snakefiles
that use the installed workflow start here (a name only this distribution has), so a foreign
``sweeps`` on the path is one clear error instead of an ImportError deep in a rule.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

DISTRIBUTION = "hpc-sweeps"
MARKER = f'__distribution__ = "{DISTRIBUTION}"'


class ForeignSweepsPackage(ImportError):
    """``import sweeps`` finds a package that is not hpc-sweeps."""


def check_sweeps_package() -> Path:
    """The directory of the ``sweeps`` package; raise :class:`ForeignSweepsPackage` unless it
    is hpc-sweeps. Reads the marker from its ``__init__.py`` without importing it, so a
    foreign package's own import errors cannot hide the cause."""
    spec = importlib.util.find_spec("sweeps")
    if spec is None or spec.origin is None:
        raise ForeignSweepsPackage("no `sweeps` package is importable; pip install hpc-sweeps")
    init = Path(spec.origin)
    try:
        ours = MARKER in init.read_text(encoding="utf-8", errors="replace")
    except OSError:
        ours = False
    if not ours:
        raise ForeignSweepsPackage(
            f"the `sweeps` package found at {init.parent} is not {DISTRIBUTION} (W&B's sweep "
            f"engine has the same import name); pip uninstall sweeps && pip install {DISTRIBUTION}"
        )
    return init.parent


def workflow_path() -> Path:
    """The installed workflow's Snakefile, for ``module sweeps: snakefile: ...``."""
    check_sweeps_package()
    from sweeps.shipped import workflow_path as shipped_workflow

    return shipped_workflow()


def main() -> int:
    """The ``sweeps`` console script."""
    import sys

    try:
        check_sweeps_package()
    except ForeignSweepsPackage as err:
        print(f"sweeps: error: {err}", file=sys.stderr)
        return 2
    from sweeps.cli import main as cli_main

    return cli_main()
