"""Where a sweep's slot time went: trial sleeps, batch waits, and dispatch cost.

A sweep with ``slots`` trials in parallel for ``wall`` seconds has ``slots x wall`` slot-seconds.
Each trial's own sleep is useful work. A trial that has ended but whose batch partners still run
waits for them before the next batch is asked (Hydra's sweeper): that is a *batch wait*, a cost
of the batch-synchronous design rather than of dispatching. What is left is *dispatch cost*:
submitting, queueing, starting processes, polling, telling the study.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from statistics import median

EQUAL = "equal"
MIXED = "mixed"
# A fixed mix of short and long trials (mean 10 s), repeated; the same list for every tool.
MIXED_CYCLE = (4.0, 16.0, 8.0, 12.0, 6.0, 14.0, 10.0, 10.0)


def durations_for(scenario: str, trials: int, seconds: float = 10.0) -> list[float]:
    """Trial lengths by trial index: all ``seconds`` (equal) or the fixed mix, repeated."""
    if scenario == EQUAL:
        return [seconds] * trials
    if scenario == MIXED:
        return [MIXED_CYCLE[i % len(MIXED_CYCLE)] for i in range(trials)]
    raise ValueError(f"unknown scenario {scenario!r}: choose {EQUAL!r} or {MIXED!r}")


@dataclass(frozen=True)
class JobEnd:
    """One trial's job: the batch (Slurm array) it was launched in and when it ended (epoch s)."""

    batch: str
    ended: float


def batch_waits(jobs: Iterable[JobEnd]) -> list[float]:
    """Per job, how long it waited after its own end for the last job of its batch to end."""
    jobs = list(jobs)
    last: dict[str, float] = {}
    for job in jobs:
        last[job.batch] = max(last.get(job.batch, job.ended), job.ended)
    return [last[job.batch] - job.ended for job in jobs]


def end_drain(ends: Iterable[float], slots: int) -> float:
    """Slot-seconds left idle at the end of an asynchronous sweep: the other slots' last trials
    ended before the very last one (no work was left for them)."""
    ordered = sorted(ends)
    if not ordered:
        return 0.0
    last = ordered[-1]
    return sum(last - end for end in ordered[-slots:-1])


def restart_gaps(starts: Iterable[float], frees: Iterable[float], slots: int) -> list[float]:
    """Steady-state gaps: how long each trial after the first ``slots`` started after a slot
    was freed for it (the k-th later start takes the k-th free, both in time order). A slot is
    freed when a trial ends (asynchronous sweeps) or when its batch's last trial ends (Hydra),
    so batch waits are not in the gaps; start-up and the final exit are not either."""
    later = sorted(starts)[slots:]
    return [start - free for start, free in zip(later, sorted(frees), strict=False)]


def summarise(
    wall: float, sleeps: list[float], waits: float, gaps: list[float], slots: int, trials: int
) -> dict[str, float]:
    """Both views per trial (dispatch cost: batch waits taken out; and including them), and
    the dispatch cost split into steady-state restart gaps and the rest (start-up, exit)."""
    busy = sum(sleeps)
    idle = slots * wall - busy
    return {
        "wall_s": round(wall, 2),
        "sum_sleep_s": round(busy, 2),
        "batch_wait_s": round(waits, 2),
        "efficiency": round(busy / (slots * wall), 4),
        "dispatch_cost_s": round((idle - waits) / trials, 3),
        "including_waits_s": round(idle / trials, 3),
        "restart_gap_s": round(median(gaps), 3) if gaps else 0.0,
        "start_and_exit_s": round(idle - waits - sum(gaps), 2),
    }


def medians(runs: list[dict[str, float]]) -> dict[str, float]:
    """The median of each figure over rounds, with the range of the dispatch cost."""
    keys = [k for k in runs[0] if isinstance(runs[0][k], (int, float))]
    out = {k: round(median(run[k] for run in runs), 3) for k in keys}
    costs = [run["dispatch_cost_s"] for run in runs]
    out["dispatch_cost_min_s"], out["dispatch_cost_max_s"] = min(costs), max(costs)
    return out
