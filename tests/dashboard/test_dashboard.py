"""The real optuna-dashboard server on a study made by a real sweep (local executor)."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.specs import base_spec
from support.workflow import objectives_env

from sweeps.controller.slot import run_slot
from sweeps.spec import SweepSpec, load_spec
from sweeps.storage.open import close_storage
from sweeps.study import prepare_study


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(url: str, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if response.headers.get_content_type() == "application/json" else body


def start_dashboard(path: Path, *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sweeps", "dashboard", "--spec", str(path), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def printed_url(server: subprocess.Popen[str], timeout_s: float = 60) -> tuple[str, str, str]:
    """The base URL and token the dashboard printed, and all it printed up to the last hint."""
    assert server.stdout is not None
    fd = server.stdout.fileno()  # read the pipe itself: select cannot see Python's buffer
    printed, deadline = "", time.monotonic() + timeout_s
    while "keep the URL to yourself" not in printed and time.monotonic() < deadline:
        if not select.select([fd], [], [], 1)[0]:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        printed += chunk.decode()
    found = re.search(r"here:\s+(http://\S+)/dashboard\?token=(\S+)", printed)
    if "keep the URL to yourself" not in printed or not found:
        server.kill()
        raise AssertionError(f"no URL with a token printed: {printed}{server.stderr.read()}")  # type: ignore[union-attr]
    return found.group(1), found.group(2), printed


@pytest.fixture(scope="module")
def finished_sweep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder with a finished 3-trial sweep (local executor), run once for the module."""
    folder = tmp_path_factory.mktemp("finished-sweep")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setenv("PYTHONPATH", objectives_env()["PYTHONPATH"])
        path = folder / "sweep.yaml"
        path.write_text(yaml.safe_dump(base_spec(budget={"n_trials": 3})))
        spec = load_spec(path)
        prepare_study(spec)
        for slot in range(3):
            run_slot(spec, slot, Path(f"results/t/trials/{slot}.json"))
        close_storage()
    yield folder


@pytest.fixture
def sweep(finished_sweep: Path, workdir: Path) -> tuple[Path, SweepSpec]:
    """This test's own copy of the finished sweep (the server may write to it); (sweep file,
    spec)."""
    shutil.copytree(finished_sweep, workdir, dirs_exist_ok=True)
    path = workdir / "sweep.yaml"
    return path, load_spec(path)


@pytest.fixture
def dashboard(sweep):  # type: ignore[no-untyped-def]
    """``sweeps dashboard`` on the sweep with its defaults; yields (base URL, token, spec,
    server, what it printed)."""
    path, spec = sweep
    server = start_dashboard(path)
    try:
        base, token, printed = printed_url(server)
        _wait_until_up(f"{base}/api/meta?token={token}", server)
        yield base, token, spec, server, printed
    finally:
        server.terminate()
        server.wait(10)


def _wait_until_up(url: str, server: subprocess.Popen[str], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"dashboard exited: {server.stderr.read()}")  # type: ignore[union-attr]
        try:
            get(url)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("dashboard did not start")


def test_dashboard_shows_the_sweep(dashboard) -> None:  # type: ignore[no-untyped-def]
    base, token, spec, _, _ = dashboard
    studies = get(f"{base}/api/studies?token={token}")["study_summaries"]
    (study,) = [s for s in studies if s["study_name"] == spec.study]
    detail = get(f"{base}/api/studies/{study['study_id']}?token={token}")
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
            f"?token={token}"
        )
        assert b"submitit" in content  # the job's own log, served


def test_only_the_printed_url_opens_the_dashboard(dashboard) -> None:  # type: ignore[no-untyped-def]
    """Any user of a shared node reaches 127.0.0.1: without the token every request is 403."""
    base, token, spec, server, _ = dashboard
    for url in (f"{base}/api/studies", f"{base}/dashboard", f"{base}/api/studies?token=wrong"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            get(url)
        assert refused.value.code == 403, url
    with pytest.raises(urllib.error.HTTPError) as refused:  # a write, too
        get(f"{base}/api/studies/0", headers={"Cookie": "sweeps_dashboard_0=wrong"})
    assert refused.value.code == 403
    with urllib.request.urlopen(f"{base}/dashboard?token={token}", timeout=10) as response:
        assert response.status == 200
        cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and token in cookie
    studies = get(f"{base}/api/studies", headers={"Cookie": cookie.split(";", 1)[0]})
    assert spec.study in [s["study_name"] for s in studies["study_summaries"]]
    server.terminate()
    assert token not in server.communicate(timeout=10)[1]  # the request log hides it


def test_dashboard_takes_a_free_port_binds_to_loopback_and_prints_the_tunnel(dashboard) -> None:  # type: ignore[no-untyped-def]
    base, token, _, _, printed = dashboard
    port = int(base.rsplit(":", 1)[1])
    assert base == f"http://127.0.0.1:{port}" and port != 8080
    with socket.socket() as sock:  # bound to 127.0.0.1 only: another address is refused
        sock.settimeout(2)
        other = socket.gethostbyname(socket.gethostname())
        if not other.startswith("127."):
            assert sock.connect_ex((other, port)) != 0
    assert f"ssh -N -L {port}:127.0.0.1:{port} " in printed
    assert f"then open http://127.0.0.1:{port}/dashboard?token={token}" in printed


def test_a_taken_port_is_one_clear_error(sweep) -> None:  # type: ignore[no-untyped-def]
    path, _ = sweep
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = start_dashboard(path, "--port", str(port))
        err = server.communicate(timeout=60)[1]
    assert server.returncode == 2
    assert err.strip() == (
        f"sweeps dashboard: error: port {port} on 127.0.0.1 is already in use (another "
        "dashboard or program); leave out --port to take a free one, or pick another"
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--port", "70000"), "70000 is out of range"),
        (("--port", "http"), "'http' is not a port number"),
        (("--host", "no-such-host.invalid"), "cannot listen on host 'no-such-host.invalid'"),
        (("--host", "192.0.2.1"), "cannot listen on 192.0.2.1: not an address of this machine"),
    ],
)
def test_a_bad_port_or_host_is_one_clear_error(sweep, options, message) -> None:  # type: ignore[no-untyped-def]
    path, _ = sweep
    server = start_dashboard(path, *options)
    err = server.communicate(timeout=60)[1]
    assert server.returncode == 2
    (line,) = [ln for ln in err.splitlines() if "error:" in ln]  # argparse adds its usage
    assert line.startswith("sweeps dashboard: error: ") and message in line
    assert "Traceback" not in err, err


def test_a_host_other_machines_reach_is_warned_about(sweep) -> None:  # type: ignore[no-untyped-def]
    path, _ = sweep
    server = start_dashboard(path, "--host", "0.0.0.0")
    try:
        base, token, _ = printed_url(server)
        port = int(base.rsplit(":", 1)[1])
        _wait_until_up(f"http://127.0.0.1:{port}/api/meta?token={token}", server)
    finally:
        server.terminate()
        err = server.communicate(timeout=10)[1]
    assert "warning: --host 0.0.0.0 lets other machines reach the dashboard" in err


def test_the_note_shows_the_figures_the_controller_records(make_spec) -> None:  # type: ignore[no-untyped-def]
    from sweeps.controller.slot import tell_outcome
    from sweeps.dashboard.note import cost_lines
    from sweeps.job.task import TrialOutcome
    from sweeps.study import prepare_study

    _, spec = make_spec(
        resources={"gpus": 1, "time_min": 2}, budget={"n_trials": 4, "max_billed_gpu_hours": 2}
    )
    study = prepare_study(spec)
    slurm = {
        "job_id": "7",
        "gpus": 1,
        "elapsed_s": 5400,
        "allocated_gpu_hours": 1.5,
        "queue_wait_s": 1800,
    }
    cost = {"billed_gpu_hours": 0.75, "billing_rule": "gpu_share: 1 GPU(s) x 0.5 x hours"}
    facts_of_trials = (
        {"slurm": slurm, "cost": cost, "energy": {"wh": 120.5}},
        {"runtime_s": 1800.0},  # ran where nothing bills: no figures, no estimate
    )
    for facts in facts_of_trials:
        trial = study.ask()
        tell_outcome(study, trial, TrialOutcome("complete", values=[1.0], facts=facts))
    lines = cost_lines(spec, study.get_trials(), study.user_attrs)
    assert lines[0].startswith("- billed GPU-hours so far: 0.750 (1 trial(s) billed)")
    assert lines[0].endswith("allocated GPU-hours (Slurm): 1.500")
    assert lines[1] == "- energy: 120.5 Wh over 1 measured trial(s); queue wait: 0.50 h"
    assert lines[2] == (
        "- budget max_billed_gpu_hours: 0.75 of 2.0 GPU-hours spent, 1.25 GPU-hours left"
    )
