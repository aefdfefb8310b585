"""Import graph of ``src/sweeps``: package and module cycles, and edges that climb back up.

Run from the repository root: ``python .ci/import_graph.py [--edges]``. It reads the source
(no import is executed), counting every ``sweeps`` import, including those inside functions.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "src"


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / "sweeps").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target.startswith("sweeps"):
                out.add(target)
                break
    return out


def sccs(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(10_000)

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


# Packages whose subpackages are separate units of the design (each its own layer).
GROUPS = frozenset({"sweeps.run"})


def package_of(module: str) -> str:
    parts = module.split(".")
    depth = 3 if ".".join(parts[:2]) in GROUPS and len(parts) > 2 else 2
    return ".".join(parts[:depth])


def main() -> int:
    mods = modules()
    known = set(mods)
    graph = {m: imports(m, p, known) for m, p in mods.items()}
    # A package's __init__ re-exporting its own modules is not a cycle of the design.
    mod_graph = {
        m: {t for t in ts if not (m == package_of(m) and package_of(t) == m)}
        for m, ts in graph.items()
    }
    pkg_edges: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for m, ts in graph.items():
        for t in ts:
            a, b = package_of(m), package_of(t)
            if a != b and a not in {"sweeps", *GROUPS} and b not in {"sweeps", *GROUPS}:
                pkg_edges[a][b] += 1
    pkg_graph = {a: set(bs) for a, bs in pkg_edges.items()}
    pkg_cycles = sccs(pkg_graph)
    mutual = sorted(
        (a, b, pkg_edges[a][b], pkg_edges[b][a])
        for a in pkg_edges
        for b in pkg_edges[a]
        if a < b and a in pkg_edges.get(b, {})
    )
    mod_cycles = sccs(mod_graph)
    # Back-edges: imports against the package order that the package graph's condensation
    # would need to break (edges inside a package cycle, counted in the minority direction).
    back = sum(min(x, y) for _, _, x, y in mutual)
    print(f"modules: {len(mods)}, import edges: {sum(len(t) for t in graph.values())}")
    print(f"package cycles (strongly connected groups of packages): {len(pkg_cycles)}")
    for comp in pkg_cycles:
        print("  " + " <-> ".join(comp))
    print(f"package pairs importing each other: {len(mutual)}")
    for a, b, x, y in mutual:
        print(f"  {a} -> {b}: {x} imports; {b} -> {a}: {y} imports")
    print(f"back-edges (imports in the minority direction of each such pair): {back}")
    print(f"module cycles: {len(mod_cycles)}")
    for comp in mod_cycles:
        print("  " + " <-> ".join(comp))
    if "--edges" in sys.argv:
        for a in sorted(pkg_edges):
            for b in sorted(pkg_edges[a]):
                print(f"{a} -> {b}: {pkg_edges[a][b]}")
    return 1 if pkg_cycles or mod_cycles else 0


if __name__ == "__main__":
    sys.exit(main())
