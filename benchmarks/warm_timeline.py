"""Where a warm-mode trial's time goes: phases of each trial of a kept benchmark run.

Reads one run folder kept by ``slurm_overhead.py --keep DIR`` (e.g. DIR/equal-sweeps-warm-0):
the study (when each trial was published, claimed by a lane, told), the objective's own
records (when it slept), the worker jobs' submitit logs (when Python started in the job) and
Snakemake's log. Prints the start-up timeline and, for the trials after each lane's first,
the median of each phase between one trial's end and the next one's start:

- end -> told: the lane records the outcome, the controller reads it and tells the study;
- told -> published: Snakemake ends the slot's job and starts the next slot's controller,
  which creates the trial, samples it and publishes it;
- published -> claimed: a lane hears the doorbell and claims the trial;
- claimed -> sleep: the lane starts the trial (heartbeat, log, handle) up to the objective.

Usage: python benchmarks/warm_timeline.py DIR/equal-sweeps-warm-0 [--lanes 2] [--out PATH]
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

import optuna
from _harness import Benchmark, Table

PHASES = ("end -> told", "told -> published", "published -> claimed", "claimed -> sleep")


def epoch(moment: datetime) -> float:
    """Optuna's naive UTC datetimes as epoch seconds."""
    return moment.replace(tzinfo=UTC).timestamp()


def trial_rows(work: Path) -> list[dict[str, float]]:
    """Per trial, in order of sleep start: published, claimed, slept, ended, told."""
    study = optuna.load_study(
        study_name="bench", storage=f"sqlite:///{work}/results/bench/study.db"
    )
    sleeps = {}
    for path in (work / "sleeps").glob("*.json"):
        record = json.loads(path.read_text())
        sleeps[record["index"]] = record
    rows = []
    for trial in study.trials:
        sleep = sleeps[trial.system_attrs["sweeps:slot"]]
        assert trial.datetime_start is not None and trial.datetime_complete is not None
        rows.append(
            {
                "published": trial.system_attrs["sweeps:warm_task"]["published_at"],
                "claimed": epoch(trial.datetime_start),
                "slept": sleep["start"],
                "ended": sleep["end"],
                "told": epoch(trial.datetime_complete),
            }
        )
    return sorted(rows, key=lambda row: row["slept"])


def phases(rows: list[dict[str, float]], lanes: int) -> dict[str, float]:
    """Median of each phase over the trials after each lane's first; the k-th of them is
    paired with the k-th trial told (the trial whose end freed its lane)."""
    told = sorted(rows, key=lambda row: row["told"])
    spans: dict[str, list[float]] = {phase: [] for phase in PHASES}
    for row, freed in zip(rows[lanes:], told, strict=False):
        spans["end -> told"].append(freed["told"] - freed["ended"])
        spans["told -> published"].append(row["published"] - freed["told"])
        spans["published -> claimed"].append(row["claimed"] - row["published"])
        spans["claimed -> sleep"].append(row["slept"] - row["claimed"])
    return {phase: round(median(values), 3) for phase, values in spans.items() if values}


def start_up(work: Path, rows: list[dict[str, float]]) -> list[tuple[str, float]]:
    """Moments of the sweep's start and end, epoch seconds."""
    log = next((work / ".snakemake" / "log").glob("*.snakemake.log"))
    opened = datetime.strptime(log.name.split(".snakemake")[0], "%Y-%m-%dT%H%M%S.%f")
    moments = [("Snakemake started (its log's name)", opened.astimezone(UTC).timestamp())]
    if (work / "launched_at").exists():
        moments.append(("snakemake launched", float((work / "launched_at").read_text())))
    for path in sorted((work / "results" / "bench" / "jobs").glob("*/*_log.out")):
        found = re.search(r"\((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+)\) - Starting", path.read_text())
        if found:
            moment = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f")
            moments.append((f"worker job {path.parent.name}: Python started", epoch(moment)))
    moments += [
        ("first trial published", min(row["published"] for row in rows)),
        ("first trial claimed", min(row["claimed"] for row in rows)),
        ("first sleep", min(row["slept"] for row in rows)),
        ("last sleep ended", max(row["ended"] for row in rows)),
        ("last trial told", max(row["told"] for row in rows)),
        ("Snakemake's log last written", log.stat().st_mtime),
    ]
    return sorted(moments, key=lambda moment: moment[1])


def main(argv: list[str] | None = None) -> int:
    bench = Benchmark(__doc__, __file__, repeatable=False)
    bench.add_argument("run", type=Path, help="a kept run folder of slurm_overhead.py")
    bench.add_argument("--lanes", type=int, default=2, help="lanes the run had")
    args = bench.parse(argv)
    rows = trial_rows(args.run)
    moments = start_up(args.run, rows)
    origin = moments[0][1]
    timeline = Table(["s after the first", "moment"], title="start-up timeline", align="rl")
    for name, moment in moments:
        timeline.add(f"{moment - origin:.2f}", name)
    spans = phases(rows, args.lanes)
    between = Table(["phase", "median s"], title="between one trial's end and the next", align="lr")
    for phase, seconds in spans.items():
        between.add(phase, f"{seconds:.3f}")
    figures = {"moments": [{"moment": n, "epoch_s": t} for n, t in moments], "phases": spans}
    bench.report(f"run: {args.run}", timeline, between, figures=figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
