"""``sweeps init [DIR]``: write a minimal project that runs the installed workflow.

The project is a Snakefile using the workflow through Snakemake's ``module`` directive, a
config, an example sweep and its objective (``train.py``), the workflow's own Snakemake profile
(``profiles/default``) and a ``.gitignore``. Existing
files are never overwritten without ``--force``.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from sweeps.cli.common import UserError, user_errors
from sweeps.shipped import WORKFLOW_PROFILE, init_template_dir, workflow_profile

# Template files stored under another name (package data drops dotfiles).
RENAMED = {"gitignore": ".gitignore"}


def project_files() -> dict[Path, Path]:
    """Each file of a new project (relative path) and the template it is copied from."""
    root = init_template_dir()
    files = {}
    for source in sorted(root.rglob("*")):
        if source.is_file() and "__pycache__" not in source.parts:
            relative = source.relative_to(root)
            files[relative.with_name(RENAMED.get(relative.name, relative.name))] = source
    profile = workflow_profile()
    files[Path("profiles") / WORKFLOW_PROFILE / profile.name] = profile
    return files


def init_project(dest: Path, force: bool = False) -> list[Path]:
    """Write the project into ``dest``; return the files written."""
    files = project_files()
    existing = sorted(str(dest / path) for path in files if (dest / path).exists())
    if existing and not force:
        raise UserError(
            f"{dest} already has {', '.join(existing)}; nothing written (--force overwrites)"
        )
    written = []
    for path, source in files.items():
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    return written


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("init", help="write a new sweeps project (Snakefile, example sweep)")
    parser.add_argument("dir", type=Path, nargs="?", default=Path("."), help="default: here")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    parser.set_defaults(run=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    for path in init_project(args.dir, args.force):
        print(f"wrote {path}")
    where = "" if args.dir == Path(".") else f"cd {args.dir} && "
    print(f"run the example sweep with: {where}snakemake --cores 2")
    return 0
