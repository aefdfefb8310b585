"""What every benchmark shares: its arguments, its timing, the machine it ran on, its tables.

A script builds a ``Benchmark`` from its docstring and file, adds its own arguments, parses,
measures (``timer``, ``timed``, ``repeat``), and hands its tables to ``Benchmark.report``. That
prints them under the machine description and the command line that reproduces them and, with
``--out PATH``, writes the same Markdown to PATH and a JSON sidecar (machine, command, tables,
figures) beside it. ``benchmarks/results/<script>.md`` holds the tables kept so far: a new
run is written elsewhere and its tables added there by hand, so no kept run is overwritten.

    bench = Benchmark(__doc__, __file__, repeat=3)
    bench.add_argument("--trials", type=int, default=20)
    args = bench.parse()
    table = Table(["case", "s (median)", "s (min)"])
    timing = repeat(lambda: work(args.trials), args.repeat)
    table.add("work", f"{timing.median:.3f}", f"{timing.min:.3f}")
    bench.report(table)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PACKAGES = ("optuna", "snakemake", "submitit", "sqlalchemy", "torch")

T = TypeVar("T")

# --- timing -----------------------------------------------------------------------------------


class Stopwatch:
    """Wall seconds since it was made, frozen once stopped."""

    def __init__(self) -> None:
        self._start = time.perf_counter()
        self._end: float | None = None

    def stop(self) -> float:
        if self._end is None:
            self._end = time.perf_counter()
        return self.seconds

    @property
    def seconds(self) -> float:
        end = time.perf_counter() if self._end is None else self._end
        return end - self._start


@contextmanager
def timer() -> Iterator[Stopwatch]:
    """``with timer() as clock: ...``; then ``clock.seconds`` is the block's wall time."""
    clock = Stopwatch()
    try:
        yield clock
    finally:
        clock.stop()


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """Wall seconds of one call of ``fn``, and what it returned."""
    with timer() as clock:
        result = fn()
    return clock.seconds, result


@dataclass(frozen=True)
class Timing:
    """Wall seconds of each repeat of one measurement."""

    walls: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def min(self) -> float:
        return min(self.walls)

    @property
    def max(self) -> float:
        return max(self.walls)

    def __str__(self) -> str:
        return f"{self.median:.3f} s (min {self.min:.3f} s, {len(self.walls)} repeats)"


def repeat(fn: Callable[[], object], n: int, warmup: int = 0) -> Timing:
    """Call ``fn`` ``warmup`` times untimed, then ``n`` times, timing each call."""
    if n < 1:
        raise ValueError(f"repeat needs n >= 1, got {n}")
    for _ in range(warmup):
        fn()
    return Timing(tuple(timed(fn)[0] for _ in range(n)))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def median_row(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One row from repeats of a measurement: the median of each numeric field (NaN ignored),
    every other field as the first repeat had it."""
    if not rows:
        raise ValueError("median_row needs at least one row")
    out = dict(rows[0])
    for key, first in rows[0].items():
        if not _is_number(first):
            continue
        values = [r[key] for r in rows if _is_number(r.get(key)) and not math.isnan(r[key])]
        if values:
            middle = statistics.median(values)
            out[key] = type(first)(middle) if isinstance(first, int) and middle % 1 == 0 else middle
    return out


# --- the machine ------------------------------------------------------------------------------


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def package_versions() -> dict[str, str | None]:
    """Versions of the sweeps package and what it runs on; None for one not installed (torch
    is looked up, not imported)."""
    try:
        import sweeps

        ours: str | None = sweeps.__version__
    except ImportError:
        ours = _version("hpc-sweeps")
    versions: dict[str, str | None] = {"sweeps": ours}
    for name in PACKAGES:
        found = importlib.util.find_spec(name) is not None
        versions[name] = _version(name) if found else None
    return versions


def git_commit(root: Path = REPO) -> str | None:
    """The checkout's commit, marked when tracked files differ from it; None outside git."""
    git = ["git", "-C", str(root), "--no-optional-locks"]
    try:
        commit = subprocess.run(
            [*git, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if commit.returncode:
            return None
        changed = subprocess.run(
            [*git, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    dirty = " (with local changes)" if changed.stdout.strip() else ""
    return commit.stdout.strip() + dirty


def machine(
    load_start: Sequence[float] | None = None, load_end: Sequence[float] | None = None
) -> dict[str, Any]:
    """What the figures depend on: cores, load, Python, platform, package versions, commit."""
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "affinity": affinity,
        "load_start": [round(x, 2) for x in (load_start or os.getloadavg())],
        "load_end": [round(x, 2) for x in (load_end or os.getloadavg())],
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "versions": package_versions(),
        "git": git_commit(),
    }


def machine_lines(info: Mapping[str, Any]) -> list[str]:
    """The machine description, one ``key  value`` line each."""
    load = "{} at start, {} at end (1, 5, 15 min)".format(
        *(" ".join(f"{x:.2f}" for x in info[k]) for k in ("load_start", "load_end"))
    )
    versions = ", ".join(
        f"{name} {version}" if version else f"{name} not installed"
        for name, version in info["versions"].items()
    )
    return [
        f"cores     {info['cpu_count']} (os.cpu_count), {info['affinity']} usable (affinity)",
        f"load      {load}",
        f"python    {info['python']} ({info['implementation']})",
        f"platform  {info['platform']}",
        f"packages  {versions}",
        f"git       {info['git'] or 'not a git checkout'}",
        f"date      {info['date']}",
    ]


# --- tables -----------------------------------------------------------------------------------

# A number, with a unit after it or not: 12, 1,000, 0.25 s, 3.5e-3, 40%, 1.20x, 556 us.
_NUMBER = re.compile(r"^[-+]?(\d[\d,]*\.?\d*|\.\d+)([eE][-+]?\d+)?(\s*(%|[a-zA-Z/]{1,6}))?$")
_RULE = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+\s*$")
_SPLIT = re.compile(r"(?<!\\)\|")


def cell(value: object) -> str:
    """A table cell: None is ``-``, booleans yes/no, floats to 4 significant digits."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("\n", " ")


def _line(cells: Sequence[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


@dataclass
class Table:
    """A Markdown table: column names, rows of cells (kept as text), an optional title, and an
    alignment per column (``l`` or ``r``; by default numbers right, text left)."""

    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    title: str = ""
    align: str = ""

    def add(self, *cells: object) -> str:
        """Append a row; returns its Markdown line (to print as progress)."""
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        row = [cell(c) for c in cells]
        self.rows.append(row)
        return _line(row)

    def _alignment(self) -> str:
        if self.align:
            return self.align
        align = ""
        for i in range(len(self.columns)):
            column = [row[i] for row in self.rows if row[i] not in ("", "-")]
            align += "r" if column and all(_NUMBER.match(c) for c in column) else "l"
        return align

    def markdown(self) -> str:
        align = self._alignment().ljust(len(self.columns), "l")
        rule = ["---:" if a == "r" else "---" for a in align]
        lines = [f"### {self.title}", ""] if self.title else []
        lines += [_line([cell(c) for c in self.columns]), _line(rule)]
        lines += [_line(row) for row in self.rows]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "columns": self.columns, "rows": self.rows}


def _cells(line: str) -> list[str]:
    parts = _SPLIT.split(line.strip())[1:-1]
    return [p.strip().replace("\\|", "|") for p in parts]


def parse_tables(text: str) -> list[Table]:
    """Every Markdown table in ``text`` (outside code fences), with the ``###`` title above it."""
    tables: list[Table] = []
    lines = text.splitlines()
    title, fenced, i = "", False, 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("### "):
            title = line[4:].strip()
        elif (
            not fenced
            and line.startswith("|")
            and i + 1 < len(lines)
            and _RULE.match(lines[i + 1].strip())
        ):
            rule = _cells(lines[i + 1])
            table = Table(_cells(line), title=title)
            table.align = "".join("r" if r.endswith(":") else "l" for r in rule)
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                table.rows.append(_cells(lines[i]))
                i += 1
            tables.append(table)
            title = ""
            continue
        i += 1
    return tables


# --- the benchmark ----------------------------------------------------------------------------


class Benchmark:
    """One benchmark script's arguments and report.

    ``repeat`` is the default of ``--repeat`` (``repeat_help`` says what one repeat is;
    ``repeat_aliases`` are older names for it); a script with nothing to repeat passes
    ``repeatable=False`` and ``--repeat`` other than 1 is refused. ``json_out=True`` adds
    ``--json PATH`` for the script's figures alone (``json_default`` writes them by default).
    """

    def __init__(
        self,
        doc: str | None,
        file: str,
        *,
        repeat: int = 1,
        repeat_help: str = "repeats of each measurement; medians reported",
        repeat_aliases: Sequence[str] = (),
        repeatable: bool = True,
        json_out: bool = False,
        json_default: Path | None = None,
    ) -> None:
        self.file = Path(file).resolve()
        self.name = self.file.stem
        self.doc = (doc or self.name).strip()
        self.repeatable = repeatable
        self.parser = argparse.ArgumentParser(
            prog=f"python {self.script}",
            description=self.doc,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if not repeatable:
            repeat_help = "accepted for every benchmark; this one has nothing to repeat"
        self.parser.add_argument(
            "--repeat", *repeat_aliases, type=int, default=repeat, metavar="N", help=repeat_help
        )
        self.parser.add_argument(
            "--out",
            type=Path,
            default=None,
            metavar="PATH",
            help="also write the report here (Markdown, and a JSON sidecar beside it)",
        )
        if json_out:
            self.parser.add_argument(
                "--json",
                type=Path,
                default=json_default,
                metavar="PATH",
                help="also write the figures alone here (JSON)",
            )
        self.args = argparse.Namespace()
        self.argv: list[str] = []
        self.load_start: tuple[float, ...] = os.getloadavg()

    @property
    def script(self) -> str:
        """The script's path as run from the repository root."""
        try:
            return str(self.file.relative_to(REPO))
        except ValueError:
            return str(self.file)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        """An argument of this script's own (as ``argparse.ArgumentParser.add_argument``)."""
        return self.parser.add_argument(*args, **kwargs)

    def parse(self, argv: Sequence[str] | None = None) -> argparse.Namespace:
        """Parse the command line; output paths become absolute (scripts may change folder)."""
        self.argv = list(sys.argv[1:] if argv is None else argv)
        args = self.parser.parse_args(self.argv)
        if args.repeat < 1:
            self.parser.error(f"--repeat must be at least 1, got {args.repeat}")
        if not self.repeatable and args.repeat != 1:
            self.parser.error(f"--repeat {args.repeat}: {self.name} has nothing to repeat")
        for key in ("out", "json"):
            if getattr(args, key, None) is not None:
                setattr(args, key, getattr(args, key).resolve())
        self.args = args
        self.load_start = os.getloadavg()
        return args

    @property
    def command(self) -> str:
        """The command line that reproduces this run, from the repository root."""
        return shlex.join(["python", self.script, *self.argv])

    def document(self, parts: Sequence[Table | str], info: Mapping[str, Any]) -> str:
        """The report as Markdown: title, command and machine, then each table or text."""
        summary = " ".join(self.doc.split("\n\n")[0].split())
        lines = [f"# {self.name}", "", summary, "", "```text"]
        lines += [f"command   {self.command}", *machine_lines(info), "```"]
        for part in parts:
            lines += ["", part.markdown() if isinstance(part, Table) else part.rstrip("\n")]
        return "\n".join(lines) + "\n"

    def report(self, *parts: Table | str, figures: Any = None) -> str:
        """Print the report; with ``--out`` write it and its JSON sidecar; with ``--json``
        write ``figures``. Returns the Markdown."""
        info = machine(self.load_start, os.getloadavg())
        text = self.document(parts, info)
        print(text, flush=True)
        out: Path | None = getattr(self.args, "out", None)
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text)
            sidecar = {
                "benchmark": self.name,
                "command": self.command,
                "machine": info,
                "tables": [p.as_dict() if isinstance(p, Table) else {"text": p} for p in parts],
                "figures": figures,
            }
            sidecar_path(out).write_text(json.dumps(sidecar, indent=2, default=str) + "\n")
        path: Path | None = getattr(self.args, "json", None)
        if path is not None and figures is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(figures, indent=2, default=str) + "\n")
        return text


def sidecar_path(out: Path) -> Path:
    """Where the JSON sidecar of a report written to ``out`` goes."""
    return out.with_suffix(".json") if out.suffix != ".json" else out.with_name(out.name + ".json")
