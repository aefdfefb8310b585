"""The real optuna-dashboard server on a study made by a real sweep (local executor)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from sweeps.controller.slot import run_slot
from sweeps.study import prepare_study


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read()
    return json.loads(body) if response.headers.get_content_type() == "application/json" else body


@pytest.fixture
def dashboard(make_spec):  # type: ignore[no-untyped-def]
    """Run a 3-trial sweep, then serve it with ``sweeps dashboard``; yields (base URL, spec)."""
    path, spec = make_spec(budget={"n_trials": 3})
    prepare_study(spec)
    for slot in range(3):
        run_slot(spec, slot, Path(f"results/t/trials/{slot}.json"))
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "sweeps", "dashboard", "--spec", str(path), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        yield base, spec, server
    finally:
        server.terminate()
        server.wait(10)


def _wait_until_up(base: str, server: subprocess.Popen[str], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"dashboard exited: {server.stdout.read()}")  # type: ignore[union-attr]
        try:
            get(f"{base}/api/meta")
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("dashboard did not start")


def test_dashboard_shows_the_sweep(dashboard) -> None:  # type: ignore[no-untyped-def]
    base, spec, _ = dashboard
    studies = get(f"{base}/api/studies")["study_summaries"]
    (study,) = [s for s in studies if s["study_name"] == spec.study]
    detail = get(f"{base}/api/studies/{study['study_id']}")
    assert detail["name"] == spec.study
    assert "GPU-hours so far" in detail["note"]["body"]
    assert "trials so far: 3 (complete 3)" in detail["note"]["body"]
    trials = detail["trials"]
    assert [t["state"] for t in trials] == ["Complete"] * 3
    for trial in trials:
        attrs = {a["key"]: a["value"] for a in trial["user_attrs"]}
        for key in ("job_id", "executor", "hostname", "runtime_s", "device", "seed"):
            assert key in attrs, key
        assert trial["intermediate_values"]
        logs = [a for a in trial["artifacts"] if a["filename"].startswith("job-")]
        assert logs, "each trial's job log is an artifact"
        content = get(
            f"{base}/artifacts/{study['study_id']}/{trial['trial_id']}/{logs[0]['artifact_id']}"
        )
        assert b"submitit" in content  # the job's own log, served


def test_dashboard_binds_to_loopback_and_prints_the_tunnel(dashboard) -> None:  # type: ignore[no-untyped-def]
    base, _, server = dashboard
    port = int(base.rsplit(":", 1)[1])
    with socket.socket() as sock:  # bound to 127.0.0.1 only: another address is refused
        sock.settimeout(2)
        other = socket.gethostbyname(socket.gethostname())
        if not other.startswith("127."):
            assert sock.connect_ex((other, port)) != 0
    server.terminate()
    out = server.communicate(timeout=10)[0]
    assert f"ssh -N -L {port}:127.0.0.1:{port} " in out


def test_the_note_counts_the_gpu_hours_the_controller_records(make_spec) -> None:  # type: ignore[no-untyped-def]
    from sweeps.controller.slot import tell_outcome
    from sweeps.dashboard.note import gpu_hours
    from sweeps.job.task import TrialOutcome
    from sweeps.study import prepare_study

    _, spec = make_spec(resources={"gpus": 1, "time_min": 2})
    study = prepare_study(spec)
    slurm = {"job_id": "7", "gpus": 1, "run_time_s": 5400, "gpu_hours": 1.5}
    for facts in ({"slurm": slurm, "runtime_s": 5400.0}, {"runtime_s": 1800.0}):
        trial = study.ask()
        tell_outcome(study, trial, TrialOutcome("complete", values=[1.0], facts=facts))
    # 1.5 GPU-hours as Slurm accounted them, 0.5 estimated from run time x GPUs per trial.
    assert gpu_hours(spec, study.get_trials()) == 2.0
