"""The package layout holds: dependencies point one way, private APIs of other libraries are
used in one adapter module each, and executors and dispatch modes are looked up by name, never
compared as strings."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src" / "sweeps"
ADAPTERS = {
    "optuna": SRC / "storage" / "optuna_internals.py",
    "submitit": SRC / "run" / "executors" / "submitit_internals.py",
}
PRIVATE_ATTRIBUTES = {"_storage", "_study_id", "_trial_id", "_backend"}


def sources() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_import_contracts_hold() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint is not None, "import-linter is part of the test extra"
    done = subprocess.run([lint], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("library", sorted(ADAPTERS))
def test_private_names_of_a_library_are_used_in_its_adapter_only(library: str) -> None:
    offenders = []
    for path in sources():
        if path == ADAPTERS[library]:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            modules: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            for module in modules:
                parts = module.split(".")
                if parts[0] == library and any(p.startswith("_") for p in parts[1:]):
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno} {module}")
    assert not offenders


def test_no_private_attribute_of_a_study_or_trial_is_read_outside_the_adapter() -> None:
    offenders = []
    for path in sources():
        if path == ADAPTERS["optuna"]:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in PRIVATE_ATTRIBUTES
                and not (isinstance(node.value, ast.Name) and node.value.id == "self")
            ):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno} .{node.attr}")
    assert not offenders


def test_executors_and_modes_are_never_compared_as_strings() -> None:
    offenders = []
    for path in [*sources(), *(REPO / "workflow").rglob("*.smk")]:
        text = path.read_text()
        for number, line in enumerate(text.splitlines(), 1):
            for name in ("dispatch.executor", "dispatch.mode"):
                if f"{name} ==" in line or f"{name} !=" in line or f"{name} in " in line:
                    offenders.append(f"{path.relative_to(REPO)}:{number} {line.strip()}")
    assert not offenders
