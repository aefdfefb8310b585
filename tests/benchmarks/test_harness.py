"""The benchmarks' harness: common arguments, timing, the machine block, tables that read back,
and two converted scripts run end to end with their smallest arguments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from _harness import (
    Benchmark,
    Table,
    machine,
    machine_lines,
    median_row,
    parse_tables,
    repeat,
    sidecar_path,
    timed,
    timer,
)

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = REPO / "benchmarks"
DOC = """A benchmark of nothing much.

    python benchmarks/example.py [--trials 3]
"""


def example(**kwargs: object) -> Benchmark:
    bench = Benchmark(DOC, str(BENCHMARKS / "example.py"), **kwargs)  # type: ignore[arg-type]
    bench.add_argument("--trials", type=int, default=3)
    return bench


def test_every_script_gets_repeat_and_out_beside_its_own_arguments(tmp_path: Path) -> None:
    args = example().parse([])
    assert (args.repeat, args.out, args.trials) == (1, None, 3)
    args = example(repeat=5).parse(["--repeat", "2", "--out", str(tmp_path / "t.md")])
    assert (args.repeat, args.out) == (2, tmp_path / "t.md")
    with pytest.raises(SystemExit):  # a bare --out would overwrite the kept results file
        example().parse(["--out"])
    assert example().parse(["--out", "rel.md"]).out == Path.cwd() / "rel.md"  # made absolute
    assert example(repeat_aliases=("--repeats",)).parse(["--repeats", "4"]).repeat == 4
    assert example(json_out=True).parse(["--json", "f.json"]).json == Path.cwd() / "f.json"


def test_a_bad_or_meaningless_repeat_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        example().parse(["--repeat", "0"])
    with pytest.raises(SystemExit):
        example(repeatable=False).parse(["--repeat", "2"])
    assert "example has nothing to repeat" in capsys.readouterr().err
    assert example(repeatable=False).parse(["--repeat", "1"]).repeat == 1


def test_the_machine_block_holds_this_machines_cores_and_versions() -> None:
    import optuna
    import sqlalchemy
    import submitit

    import sweeps

    info = machine()
    assert info["cpu_count"] == os.cpu_count()
    assert info["affinity"] == len(os.sched_getaffinity(0))
    assert len(info["load_start"]) == len(info["load_end"]) == 3
    versions = info["versions"]
    assert versions["sweeps"] == sweeps.__version__
    assert versions["optuna"] == optuna.__version__
    assert versions["sqlalchemy"] == sqlalchemy.__version__
    assert versions["submitit"] == submitit.__version__
    assert versions["snakemake"] == metadata.version("snakemake")
    try:
        assert versions["torch"] == metadata.version("torch")
    except metadata.PackageNotFoundError:
        assert versions["torch"] is None
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    if head:
        assert info["git"].startswith(head)
    text = "\n".join(machine_lines(info))
    assert f"cores     {os.cpu_count()} (os.cpu_count)" in text
    assert f"optuna {optuna.__version__}" in text
    assert f"python    {sys.version.split()[0]}" in text


def test_the_report_written_to_out_reads_back_as_the_rows_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "deep" / "table.md"
    bench = example()
    bench.parse(["--trials", "7", "--out", str(out)])
    table = Table(["case", "s (median)", "note"], title="timings")
    table.add("plain", 0.25, "a | b")
    table.add("ours", "1,000 ms", None)
    second = Table(["k", "ok"])
    second.add(1, True)
    text = bench.report("7 trials", table, second, figures={"plain_s": [0.25]})

    written = out.read_text()
    assert written == text and text in capsys.readouterr().out
    assert f"command   python benchmarks/example.py --trials 7 --out {out}" in written
    assert f"cores     {os.cpu_count()} (os.cpu_count)" in written
    first, again = parse_tables(written)
    assert first.title == "timings"
    assert first.columns == ["case", "s (median)", "note"]
    assert first.rows == [["plain", "0.25", "a | b"], ["ours", "1,000 ms", "-"]]
    assert first.align == "lrl"  # numbers (with units) right, text left
    assert (again.columns, again.rows) == (["k", "ok"], [["1", "yes"]])

    sidecar = json.loads(sidecar_path(out).read_text())
    assert sidecar_path(out) == tmp_path / "deep" / "table.json"
    assert sidecar["command"].endswith(f"--trials 7 --out {out}")
    assert sidecar["machine"]["cpu_count"] == os.cpu_count()
    assert sidecar["tables"][0] == {"text": "7 trials"}
    assert sidecar["tables"][1]["rows"] == first.rows
    assert sidecar["figures"] == {"plain_s": [0.25]}


def test_without_out_nothing_is_written_but_json_figures_are(tmp_path: Path) -> None:
    bench = example(json_out=True)
    bench.parse(["--json", str(tmp_path / "figures.json")])
    bench.report(Table(["a"], [["1"]]), figures={"a": 1})
    assert [p.name for p in tmp_path.iterdir()] == ["figures.json"]
    assert json.loads((tmp_path / "figures.json").read_text()) == {"a": 1}


def test_timing_a_known_sleep() -> None:
    timing = repeat(lambda: time.sleep(0.05), 3, warmup=1)
    assert len(timing.walls) == 3
    assert 0.045 <= timing.min <= timing.median <= timing.max < 2.0

    def nap() -> str:
        time.sleep(0.02)
        return "done"

    seconds, value = timed(nap)
    assert value == "done" and 0.015 <= seconds < 2.0
    with timer() as clock:
        time.sleep(0.02)
    frozen = clock.seconds
    time.sleep(0.01)
    assert clock.seconds == frozen and 0.015 <= frozen < 2.0
    with pytest.raises(ValueError):
        repeat(lambda: None, 0)


def test_median_row_takes_each_numeric_figure_over_repeats() -> None:
    rows = [
        {"tool": "a", "wall_s": 3.0, "jobs": 10, "peak": None},
        {"tool": "b", "wall_s": 1.0, "jobs": 10, "peak": 5},
        {"tool": "c", "wall_s": 2.0, "jobs": 12, "peak": 7},
    ]
    assert median_row(rows) == {"tool": "a", "wall_s": 2.0, "jobs": 10, "peak": None}


def run_script(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(BENCHMARKS)])}
    command = [sys.executable, *argv]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_energy_overhead_writes_its_table_to_out(tmp_path: Path) -> None:
    out = tmp_path / "energy_overhead.md"
    done = run_script(
        "benchmarks/energy_overhead.py", "--work-s", "0.01", "--repeat", "2", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (table,) = parse_tables(out.read_text())
    assert table.columns[:4] == [
        "trial work",
        "without meter (median)",
        "with meter (median)",
        "ratio",
    ]
    assert [row[0] for row in table.rows] == ["0.01 s x 2"]
    assert float(table.rows[0][3]) > 0
    figures = json.loads(sidecar_path(out).read_text())["figures"]
    assert len(figures["plain_s"]) == len(figures["metered_s"]) == 2


def kept_run(root: Path) -> Path:
    """A folder as ``slurm_overhead.py --keep`` leaves it: two lanes, four trials, the second
    pair published 0.3 s after the first pair was told."""
    import optuna
    from optuna.distributions import FloatDistribution
    from optuna.trial import FrozenTrial, TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    (root / "results" / "bench").mkdir(parents=True)
    (root / "sleeps").mkdir()
    (root / ".snakemake" / "log").mkdir(parents=True)
    (root / ".snakemake" / "log" / "2026-01-01T120000.000000.snakemake.log").write_text("")
    study = optuna.create_study(
        study_name="bench", storage=f"sqlite:///{root}/results/bench/study.db"
    )
    base = 1_800_000_000.0
    for slot, (published, lane) in enumerate([(0.0, 0), (0.1, 1), (11.0, 0), (11.1, 1)]):
        claimed, slept = published + 0.2, published + 0.5
        ended, told = slept + 10.0, slept + 10.2
        (root / "sleeps" / f"{slot}.json").write_text(
            json.dumps({"index": slot, "start": base + slept, "end": base + ended})
        )

        def naive(t: float) -> datetime:
            return datetime.fromtimestamp(base + t, UTC).replace(tzinfo=None)

        study.add_trial(
            FrozenTrial(
                number=slot,
                state=TrialState.COMPLETE,
                value=float(lane),
                datetime_start=naive(claimed),
                datetime_complete=naive(told),
                params={"x": 0.5},
                distributions={"x": FloatDistribution(0.0, 1.0)},
                user_attrs={},
                system_attrs={
                    "sweeps:slot": slot,
                    "sweeps:warm_task": {"published_at": base + published},
                },
                intermediate_values={},
                trial_id=slot,
            )
        )
    return root


def test_warm_timeline_tabulates_a_kept_run(tmp_path: Path) -> None:
    run = kept_run(tmp_path / "run")
    out = tmp_path / "timeline.md"
    done = run_script("benchmarks/warm_timeline.py", str(run), "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    timeline, phases = parse_tables(out.read_text())
    assert "first sleep" in [row[1] for row in timeline.rows]
    assert dict(phases.rows) == {
        "end -> told": "0.200",
        "told -> published": "0.300",
        "published -> claimed": "0.200",
        "claimed -> sleep": "0.300",
    }
    refused = run_script("benchmarks/warm_timeline.py", str(run), "--repeat", "2")
    assert refused.returncode == 2 and "nothing to repeat" in refused.stderr
