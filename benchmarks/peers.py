"""Short trials through each peer: Ray Tune (with and without actor reuse), Optuna alone, and
this project in warm and job mode, in one run.

The same work for every peer: N trials that each sleep ``--trial-s`` seconds, ``--parallel`` (P)
at a time, for each N of ``--trials``. Every peer runs as a fresh process, timed from its start
to its exit (``snakemake`` start to exit for this project):

- ``ray-reuse``:   Ray Tune, a function trainable, ``TuneConfig(num_samples=N,
  max_concurrent_trials=P, reuse_actors=True)``, ``ray.init(num_cpus=P)``; Ray's defaults
  otherwise (its default searcher, random search). Also timed: ``Tuner.fit()`` alone;
- ``ray-default``: the same with ``reuse_actors`` left unset (False);
- ``optuna``:      ``study.optimize(objective, n_trials=N, n_jobs=P)`` on an SQLite file, as
  a sweep stores its study, with the random sampler;
- ``sweeps-warm``: ``snakemake --cores P`` in a fresh project (as the tests make one), the
  local executor, ``dispatch.mode: warm`` (one worker, P lanes), the random sampler, the
  project's defaults otherwise (the default target, report included);
- ``sweeps-job``:  the same in job mode (a process per trial);
- ``sweeps-warm-in-turn``: warm mode with ``dispatch.warm.hand_over_ahead: 0`` (each lane
  job publishes its next trial only once the current one is told), by name only.

Ray is no dependency of this project: it runs in a virtualenv of its own (``--venv``, made
with ``ray[tune]`` from ``--ray-spec`` when missing) through ``benchmarks/_ray_peer.py``.

Per peer and N: wall time (median, range), the floor (ceil(N/P) x trial_s), the overhead per
trial in slot-seconds ((wall x P - N x trial_s) / N), and, from a straight line of wall
against N, the fixed cost (its intercept) and the marginal cost per trial (slope x P - trial_s,
slot-seconds), through the medians and through each round's own walls. Each trial's own start
and end give the time before the first trial starts (start-up), after the last ends
(tear-down), and the overhead per trial between the two (in-run: the same formula on the
first start to last end); for this project, its files' times split start-up and tear-down
into phases (study, report, outcome). Ratios to Ray with reuse are per round, in the same
run. Measurements are interleaved (each round runs every N and every peer, the peers'
order rotated each round) so drift of the machine hits all alike; the 1-minute load average is
printed before each.

    python benchmarks/peers.py [--trials 16,64] [--trial-s 1] [--parallel 4] [--repeat 3]
        [--peers ray-reuse,ray-default,optuna,sweeps-warm,sweeps-job] [--venv build/peers-venv]
        [--keep DIR] [--json PATH] [--out PATH]
"""

from __future__ import annotations

import json
import math
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import optuna
import yaml
from _harness import Benchmark, Stopwatch, Table

REPO = Path(__file__).resolve().parents[1]
RAY_PEER = Path(__file__).resolve().parent / "_ray_peer.py"
RAY_SPEC = "ray[tune]==2.58.0"
PEERS = ("ray-reuse", "ray-default", "optuna", "sweeps-warm", "sweeps-job")
EXTRA_PEERS = ("sweeps-warm-in-turn",)
REFERENCE = "ray-reuse"
# This project's phases (sweep_phases), in order, with their column names.
PHASES = {
    "to_study_s": "launch to study ready",
    "study_to_first_trial_s": "to first trial start",
    "trials_span_s": "first trial start to last end",
    "last_trial_to_receipts_s": "to last receipt",
    "receipts_to_report_s": "to report written",
    "report_to_outcome_s": "to outcome",
    "outcome_to_exit_s": "to exit",
    "receipts_to_exit_s": "last receipt to exit",
}
TIMEOUT_S = 1800

# This project's objective: sleep, record when (one file per slot).
OBJECTIVE = """
import json, os, time

def sleep(params, trial, seconds, out):
    start = time.time()
    time.sleep(seconds)
    end = time.time()
    with open(os.path.join(out, f"{trial.slot}.json"), "w") as f:
        json.dump({"start": start, "end": end, "pid": os.getpid()}, f)
    return params["x"]
"""

# Optuna alone, in a fresh process: the same objective through study.optimize.
OPTUNA_PEER = """
import time
STARTED = time.time()
import json, os, sys
import optuna

trials, parallel, seconds, db, out = json.loads(sys.argv[1])
optuna.logging.set_verbosity(optuna.logging.WARNING)
imported = time.time()
study = optuna.create_study(
    study_name="peers", storage=f"sqlite:///{db}", direction="minimize",
    sampler=optuna.samplers.RandomSampler(seed=1),
)

def objective(trial):
    x = trial.suggest_float("x", 0.0, 1.0)
    start = time.time()
    time.sleep(seconds)
    end = time.time()
    with open(os.path.join(out, f"{trial.number}.json"), "w") as f:
        json.dump({"start": start, "end": end, "pid": os.getpid()}, f)
    return x

optimize_start = time.time()
study.optimize(objective, n_trials=trials, n_jobs=parallel)
optimize_end = time.time()
done = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
times = {"started": STARTED, "imported": imported, "optimize_start": optimize_start,
         "optimize_end": optimize_end, "completed": len(done)}
print("peer-times " + json.dumps(times), flush=True)
"""


def load() -> float:
    """The machine's 1-minute load average (the machine is shared: figures depend on it)."""
    return os.getloadavg()[0]


# --- the peers' virtualenv --------------------------------------------------------------------


def shown(path: Path) -> str:
    """``path`` relative to the repository where it lies inside it."""
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ray_version(venv: Path) -> str | None:
    """Ray's version in the virtualenv, None where it is missing."""
    if not venv_python(venv).exists():
        return None
    done = subprocess.run(
        [str(venv_python(venv)), "-c", "import ray, ray.tune; print(ray.__version__)"],
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_venv(venv: Path, spec: str) -> str:
    """The peers' virtualenv with ``spec`` (``ray[tune]==X``) installed; returns Ray's version.
    Made (``python -m venv``, ``pip install``) where missing or holding another version."""
    wanted = spec.split("==", 1)[1] if "==" in spec else None
    found = ray_version(venv)
    if found is not None and (wanted is None or found == wanted):
        return found
    if not venv_python(venv).exists():
        print(f"making {venv} for Ray", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    print(f"installing {spec} into {venv}", flush=True)
    subprocess.run([str(venv_python(venv)), "-m", "pip", "install", spec], check=True)
    found = ray_version(venv)
    if found is None:
        raise SystemExit(f"{spec} installed into {venv}, but `import ray.tune` fails there")
    return found


# --- one measurement --------------------------------------------------------------------------


def run_timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``command`` to its end: (launched at, epoch s; wall s; its output). Fails loudly."""
    log = cwd / "peer.log"
    launched = time.time()
    clock = Stopwatch()
    with log.open("w") as out:
        done = subprocess.run(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=TIMEOUT_S
        )
    wall = clock.stop()
    text = log.read_text()
    if done.returncode != 0:
        raise SystemExit(f"{shlex.join(command)} failed in {cwd}:\n{text[-3000:]}")
    return launched, wall, text


def peer_times(text: str) -> dict[str, Any]:
    """The ``peer-times {...}`` line a peer script printed."""
    for line in reversed(text.splitlines()):
        if line.startswith("peer-times "):
            found: dict[str, Any] = json.loads(line.removeprefix("peer-times "))
            return found
    raise SystemExit(f"no peer-times line in the output:\n{text[-2000:]}")


def trial_span(records: Path, trials: int, launched: float, wall: float) -> dict[str, float]:
    """Start-up (launch to first trial start), tear-down (last trial end to exit), mean sleep
    and the processes that ran trials, from the trials' own records."""
    found = [json.loads(p.read_text()) for p in records.glob("*.json")]
    if len(found) != trials:
        raise SystemExit(f"expected {trials} trial records in {records}, found {len(found)}")
    first = min(r["start"] for r in found)
    last = max(r["end"] for r in found)
    return {
        "startup_s": first - launched,
        "teardown_s": launched + wall - last,
        "trials_span_s": last - first,
        "sleep_mean_s": statistics.fmean(r["end"] - r["start"] for r in found),
        "trial_processes": len({r["pid"] for r in found}),
    }


def run_ray(
    work: Path, trials: int, parallel: int, trial_s: float, venv: Path, reuse: bool
) -> dict[str, Any]:
    records = work / "records"
    records.mkdir()
    command = [str(venv_python(venv)), str(RAY_PEER), "--trials", str(trials)]
    command += ["--parallel", str(parallel), "--trial-s", str(trial_s)]
    command += ["--work", str(work / "ray"), "--records", str(records)]
    command += ["--reuse-actors"] if reuse else []
    # No usage report: this machine may be offline (Ray would try to send it).
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    launched, wall, text = run_timed(command, work, env)
    times = peer_times(text)
    if times["completed"] != trials or times["errors"]:
        raise SystemExit(f"Ray completed {times['completed']} of {trials} trials")
    return {
        "wall_s": wall,
        "inner_s": times["fit_end"] - times["fit_start"],
        "inner": "Tuner.fit()",
        "import_s": times["imported"] - launched,
        "init_s": times["initialised"] - times["imported"],
        "shutdown_s": times["shut_down"] - times["fit_end"],
        **trial_span(records, trials, launched, wall),
    }


def run_optuna(work: Path, trials: int, parallel: int, trial_s: float) -> dict[str, Any]:
    records = work / "records"
    records.mkdir()
    spec = [trials, parallel, trial_s, str(work / "study.db"), str(records)]
    command = [sys.executable, "-c", OPTUNA_PEER, json.dumps(spec)]
    launched, wall, text = run_timed(command, work, dict(os.environ))
    times = peer_times(text)
    if times["completed"] != trials:
        raise SystemExit(f"Optuna completed {times['completed']} of {trials} trials")
    return {
        "wall_s": wall,
        "inner_s": times["optimize_end"] - times["optimize_start"],
        "inner": "study.optimize()",
        "import_s": times["imported"] - launched,
        **trial_span(records, trials, launched, wall),
    }


def sweep(trials: int, parallel: int, trial_s: float, records: Path, mode: str) -> dict[str, Any]:
    """The sweep file: the sleep objective, random sampler, P in parallel, local executor."""
    dispatch: dict[str, Any] = {"executor": "local", "mode": mode.removesuffix("-in-turn")}
    if mode.startswith("warm"):
        dispatch["warm"] = {"workers": 1, "trials_per_gpu": parallel}  # P lanes, one worker
    if mode == "warm-in-turn":
        dispatch["warm"]["hand_over_ahead"] = 0
    return {
        "study": "bench",
        "objective": {
            "function": "bench_objective:sleep",
            "args": {"seconds": trial_s, "out": str(records)},
        },
        "direction": "minimize",
        "space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "sampler": {"name": "RandomSampler"},
        "budget": {"n_trials": trials, "max_retries": 0},
        "parallelism": parallel,
        "seed": 1,
        "resources": {"cpus": 1, "time_min": 30},
        "dispatch": dispatch,
    }


def run_sweeps(
    work: Path, trials: int, parallel: int, trial_s: float, mode: str, target: str
) -> dict[str, Any]:
    """This project: a fresh project as the tests make one, ``snakemake --cores P``."""
    records = work / "records"
    records.mkdir()
    shutil.copy(REPO / "Snakefile", work / "Snakefile")
    shutil.copytree(REPO / "workflow", work / "workflow")
    shutil.copytree(REPO / "profiles" / "default", work / "profiles" / "default")
    (work / "config" / "sweeps").mkdir(parents=True)
    (work / "bench_objective.py").write_text(OBJECTIVE)
    (work / "config" / "sweeps" / "default.yaml").write_text(
        yaml.safe_dump(sweep(trials, parallel, trial_s, records, mode))
    )
    config = {"sweep": "config/sweeps/default.yaml", "site": None, "force": False}
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    command = [sys.executable, "-m", "snakemake", "--cores", str(parallel)]
    command += [target] if target else []
    env = {**os.environ, "PYTHONPATH": str(work)}
    launched, wall, _ = run_timed(command, work, env)
    study = optuna.load_study(
        study_name="bench", storage=f"sqlite:///{work}/results/bench/study.db"
    )
    done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if len(done) != trials:
        raise SystemExit(f"expected {trials} completed trials, got {len(done)} in {work}")
    return {
        "wall_s": wall,
        **trial_span(records, trials, launched, wall),
        **sweep_phases(work, records, launched, wall),
    }


def sweep_phases(work: Path, records: Path, launched: float, wall: float) -> dict[str, float]:
    """Where this project's start-up and tear-down go, from when its files were written: the
    study ready (its receipt), the first trial's start, the last trial's end, the last trial
    receipt, the report (``report.html``), the outcome (``succeeded``), the exit."""
    results = work / "results" / "bench"
    found = [json.loads(p.read_text()) for p in records.glob("*.json")]
    first = min(r["start"] for r in found)
    last = max(r["end"] for r in found)
    study = (results / "study.json").stat().st_mtime
    receipts = max(p.stat().st_mtime for p in (results / "trials").glob("*.json"))
    report = (results / "report.html").stat().st_mtime if (results / "report.html").exists() else 0
    outcome = (results / "succeeded").stat().st_mtime if (results / "succeeded").exists() else 0
    end = launched + wall
    phases = {
        "to_study_s": study - launched,
        "study_to_first_trial_s": first - study,
        "last_trial_to_receipts_s": receipts - last,
    }
    if report and outcome:
        phases["receipts_to_report_s"] = report - receipts
        phases["report_to_outcome_s"] = outcome - report
        phases["outcome_to_exit_s"] = end - outcome
    else:
        phases["receipts_to_exit_s"] = end - receipts
    return phases


def measure(peer: str, work: Path, n: int, args: Any) -> dict[str, Any]:
    p, s = args.parallel, args.trial_s
    if peer in ("ray-reuse", "ray-default"):
        return run_ray(work, n, p, s, args.venv, reuse=peer == "ray-reuse")
    if peer == "optuna":
        return run_optuna(work, n, p, s)
    return run_sweeps(work, n, p, s, peer.removeprefix("sweeps-"), args.target)


# --- figures ----------------------------------------------------------------------------------


def line_fit(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """(intercept, slope) of the least-squares line through ``points`` (x, y)."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x in xs)
    return my - slope * mx, slope


def median_of(rounds: Sequence[dict[str, Any]], key: str) -> float | None:
    """The median of ``key`` over rounds; None where the peer has no such figure."""
    return statistics.median(r[key] for r in rounds) if key in rounds[0] else None


def summarise(
    runs: dict[str, dict[int, list[dict[str, Any]]]], trial_s: float, parallel: int
) -> dict[str, Any]:
    """Medians per peer and N, ratios to Ray with reuse per round, fixed and marginal cost."""
    out: dict[str, Any] = {"per_n": {}, "fits": {}}
    for peer, by_n in runs.items():
        for n, rounds in by_n.items():
            walls = [r["wall_s"] for r in rounds]
            m: dict[str, Any] = {
                "wall_s": statistics.median(walls),
                "wall_min_s": min(walls),
                "wall_max_s": max(walls),
                "floor_s": math.ceil(n / parallel) * trial_s,
                "overhead_slot_s_per_trial": (statistics.median(walls) * parallel - n * trial_s)
                / n,
                "load_1min": [r["load_1min"] for r in rounds],
            }
            for key in ("inner_s", "startup_s", "teardown_s", "import_s", *PHASES):
                m[key] = median_of(rounds, key)
            m["trial_processes"] = median_of(rounds, "trial_processes")
            # Between the first trial's start and the last one's end: dispatch alone.
            m["in_run_slot_s_per_trial"] = statistics.median(
                (r["trials_span_s"] * parallel - n * trial_s) / n for r in rounds
            )
            if peer != REFERENCE and REFERENCE in runs:
                ratios = [
                    r["wall_s"] / ref["wall_s"]
                    for r, ref in zip(rounds, runs[REFERENCE][n], strict=True)
                ]
                m["ratio_to_ray_reuse"] = statistics.median(ratios)
                m["ratio_to_ray_reuse_range"] = [min(ratios), max(ratios)]
            out["per_n"].setdefault(peer, {})[n] = m
        if len(by_n) >= 2:
            intercept, slope = line_fit([(n, out["per_n"][peer][n]["wall_s"]) for n in by_n])
            rounds_fit = [
                line_fit([(n, by_n[n][i]["wall_s"]) for n in by_n])
                for i in range(min(len(r) for r in by_n.values()))
            ]
            ends = [r["startup_s"] + r["teardown_s"] for rounds in by_n.values() for r in rounds]
            out["fits"][peer] = {
                "fixed_s": intercept,
                "wall_s_per_trial": slope,
                "marginal_slot_s_per_trial": slope * parallel - trial_s,
                "per_round": [
                    {"fixed_s": a, "marginal_slot_s_per_trial": b * parallel - trial_s}
                    for a, b in rounds_fit
                ],
                "startup_teardown_s": statistics.median(ends),
                "startup_teardown_each_s": ends,
            }
    return out


def spread(values: Sequence[float], digits: int = 1) -> str:
    """``median (min to max)``."""
    middle, low, high = statistics.median(values), min(values), max(values)
    return f"{middle:.{digits}f} ({low:.{digits}f} to {high:.{digits}f})"


def wall_table(summary: dict[str, Any], trials: Sequence[int]) -> Table:
    table = Table(
        [
            "peer",
            "N",
            "wall s (median)",
            "range s",
            "floor s",
            "overhead slot-s/trial",
            "in-run slot-s/trial",
            "x ray-reuse (range)",
            "start-up s",
            "tear-down s",
            "inner s",
            "trial processes",
            "load 1-min before",
        ],
        title="wall time per peer and N",
        align="lrrrrrrrrrrrl",
    )
    for n in trials:
        for peer, by_n in summary["per_n"].items():
            m = by_n[n]
            ratio = "-"
            if "ratio_to_ray_reuse" in m:
                low, high = m["ratio_to_ray_reuse_range"]
                ratio = f"{m['ratio_to_ray_reuse']:.2f} ({low:.2f}-{high:.2f})"
            inner = "-" if m["inner_s"] is None else f"{m['inner_s']:.1f}"
            table.add(
                peer,
                n,
                f"{m['wall_s']:.1f}",
                f"{m['wall_min_s']:.1f}-{m['wall_max_s']:.1f}",
                f"{m['floor_s']:.1f}",
                f"{m['overhead_slot_s_per_trial']:.2f}",
                f"{m['in_run_slot_s_per_trial']:.2f}",
                ratio,
                f"{m['startup_s']:.1f}",
                f"{m['teardown_s']:.1f}",
                inner,
                f"{m['trial_processes']:.0f}",
                " ".join(f"{x:.2f}" for x in m["load_1min"]),
            )
    return table


def fit_table(summary: dict[str, Any], trials: Sequence[int]) -> Table:
    table = Table(
        [
            "peer",
            "fixed cost s",
            "marginal slot-s/trial",
            "fixed cost s, per round",
            "marginal slot-s/trial, per round",
            "start-up + tear-down s",
        ],
        title=(
            f"fixed and marginal cost (line of wall against N = {', '.join(map(str, trials))}:"
            " through the medians, and through each round's own walls: median (range))"
        ),
        align="lrrrrr",
    )
    for peer, fit in summary["fits"].items():
        rounds = fit["per_round"]
        table.add(
            peer,
            f"{fit['fixed_s']:.1f}",
            f"{fit['marginal_slot_s_per_trial']:.2f}",
            spread([r["fixed_s"] for r in rounds]),
            spread([r["marginal_slot_s_per_trial"] for r in rounds], 2),
            spread(fit["startup_teardown_each_s"]),
        )
    return table


def phase_table(summary: dict[str, Any], trials: Sequence[int]) -> Table | None:
    """This project's wall time phase by phase (medians; seconds)."""
    rows = [
        (peer, n, by_n[n])
        for n in trials
        for peer, by_n in summary["per_n"].items()
        if peer.startswith("sweeps-")
    ]
    keys = [k for k in PHASES if any(m.get(k) is not None for _, _, m in rows)]
    if not rows:
        return None
    table = Table(
        ["peer", "N", *(f"{PHASES[k]} s" for k in keys), "wall s"],
        title="where this project's wall time goes (medians, from its files' times)",
        align="lr" + "r" * (len(keys) + 1),
    )
    for peer, n, m in rows:
        cells = ["-" if m.get(k) is None else f"{m[k]:.1f}" for k in keys]
        table.add(peer, n, *cells, f"{m['wall_s']:.1f}")
    return table


# --- the run ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    bench = Benchmark(
        __doc__,
        __file__,
        repeat_help="rounds (each runs every N and every peer); medians reported",
        json_out=True,
    )
    bench.add_argument("--trials", default="16,64", help="numbers of trials, comma-separated")
    bench.add_argument("--trial-s", type=float, default=1.0, help="each trial's sleep")
    bench.add_argument("--parallel", type=int, default=4, help="trials at a time (P)")
    bench.add_argument("--peers", default=",".join(PEERS), help="which peers, comma-separated")
    bench.add_argument(
        "--venv", type=Path, default=REPO / "build" / "peers-venv", help="Ray's virtualenv"
    )
    bench.add_argument("--ray-spec", default=RAY_SPEC, help="what to pip-install there")
    bench.add_argument(
        "--target", default="", help="snakemake target (default: the default target, `all`)"
    )
    bench.add_argument("--keep", type=Path, default=None, help="keep the runs' folders here")
    args = bench.parse(argv)
    trials = [int(n) for n in args.trials.split(",")]
    peers = args.peers.split(",")
    unknown = sorted(set(peers) - set(PEERS) - set(EXTRA_PEERS))
    if unknown:
        bench.parser.error(f"unknown peers {unknown}: choose from {', '.join(PEERS + EXTRA_PEERS)}")
    ray = ensure_venv(args.venv, args.ray_spec) if any(p.startswith("ray") for p in peers) else None
    runs: dict[str, dict[int, list[dict[str, Any]]]] = {
        peer: {n: [] for n in trials} for peer in peers
    }
    with tempfile.TemporaryDirectory(prefix="sweeps-peers-") as tmp:
        root = args.keep or Path(tmp)
        for round_ in range(args.repeat):  # interleaved, so drift of the machine hits all
            order = peers[round_ % len(peers) :] + peers[: round_ % len(peers)]
            for n in trials:
                for peer in order:
                    work = root / f"{round_}-{n}-{peer}"
                    work.mkdir(parents=True)
                    before = load()
                    print(f"round {round_} N={n:<4} {peer:12} load {before:.2f}", flush=True)
                    figures = {**measure(peer, work, n, args), "load_1min": before}
                    runs[peer][n].append(figures)
                    print(
                        f"  wall {figures['wall_s']:.2f} s  start-up {figures['startup_s']:.2f}"
                        f"  tear-down {figures['teardown_s']:.2f}",
                        flush=True,
                    )
    summary = summarise(runs, args.trial_s, args.parallel)
    results = {
        "trials": trials,
        "trial_s": args.trial_s,
        "parallel": args.parallel,
        "ray": ray,
        "ray_spec": args.ray_spec if ray else None,
        "runs": runs,
        **summary,
    }
    setup = (
        f"{args.parallel} trials at a time, each sleeping {args.trial_s:g} s; "
        f"{args.repeat} round(s), peers interleaved"
        + (f"; Ray {ray} ({args.ray_spec}, in {shown(args.venv)})" if ray else "")
    )
    parts: list[Table | str] = [setup, wall_table(summary, trials)]
    if summary["fits"]:
        parts.append(fit_table(summary, trials))
    phases = phase_table(summary, trials)
    if phases is not None:
        parts.append(phases)
    bench.report(*parts, figures=results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
