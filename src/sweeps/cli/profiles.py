"""``sweeps profiles``: install the shipped Snakemake profiles so ``--profile NAME`` finds them.

``snakemake --profile lumi`` looks in the working directory, the user's Snakemake config dir
(``~/.config/snakemake``) and the site's, never in ``./profiles``. ``sweeps profiles install``
links each shipped profile there; the profiles travel with the package (wheel or checkout).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sweeps.cli.common import UserError, user_errors
from sweeps.shipped import WORKFLOW_PROFILE, profiles_dir


def shipped_profiles() -> dict[str, Path]:
    """The profiles shipped with this package, by name."""
    root = profiles_dir()
    if not root.is_dir():
        raise UserError(f"no profiles shipped with this installation (looked in {root})")
    return {
        p.name: p.resolve()
        for p in sorted(root.iterdir())
        if (p / "config.yaml").is_file() and p.name != WORKFLOW_PROFILE
    }


def snakemake_config_dir() -> Path:
    """Where Snakemake looks for profiles by name for this user."""
    from platformdirs import AppDirs

    return Path(AppDirs("snakemake", "snakemake").user_config_dir)


def install(dest: Path, names: list[str] | None = None, force: bool = False) -> list[str]:
    """Link the shipped profiles (all, or ``names``) into ``dest``; return what was done."""
    shipped = shipped_profiles()
    unknown = sorted(set(names or []) - set(shipped))
    if unknown:
        raise UserError(f"unknown profile(s) {unknown}; shipped: {sorted(shipped)}")
    dest.mkdir(parents=True, exist_ok=True)
    done = []
    for name in names or list(shipped):
        source, link = shipped[name], dest / name
        if link.is_symlink() and link.resolve() == source:
            done.append(f"{name}: already installed -> {source}")
            continue
        if link.exists() or link.is_symlink():
            if not force:
                done.append(f"{name}: kept the existing {link} (use --force to replace it)")
                continue
            link.unlink()
        link.symlink_to(source, target_is_directory=True)
        done.append(f"{name}: {link} -> {source}")
    return done


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("profiles", help="list or install the shipped Snakemake profiles")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="show the shipped profiles")
    listing.set_defaults(run=run_list)
    setup = actions.add_parser(
        "install", help="link the shipped profiles into Snakemake's config dir"
    )
    setup.add_argument("names", nargs="*", help="profiles to install (default: all)")
    setup.add_argument(
        "--dest",
        type=Path,
        default=None,
        help="where to link them (default: ~/.config/snakemake, honouring XDG_CONFIG_HOME)",
    )
    setup.add_argument("--force", action="store_true", help="replace existing profiles")
    setup.set_defaults(run=run_install)


@user_errors
def run_list(args: argparse.Namespace) -> int:
    for name, path in shipped_profiles().items():
        print(f"{name}\t{path}")
    return 0


@user_errors
def run_install(args: argparse.Namespace) -> int:
    dest = args.dest or snakemake_config_dir()
    for line in install(dest, args.names, args.force):
        print(line)
    if os.environ.get("SBATCH_ACCOUNT") is None:
        print("note: the cluster profiles need a Slurm account: export SBATCH_ACCOUNT=...")
    print(f"run with: snakemake --profile NAME (found in {dest})")
    return 0
