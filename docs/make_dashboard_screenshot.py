"""Make docs/img/dashboard.png: a small real sweep, served by ``sweeps dashboard``, in Chromium.

Needs Debian's chromium (``apt-get install -y chromium``). Run from the repository root:

    python docs/make_dashboard_screenshot.py
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

OUT = Path(__file__).resolve().parent / "img" / "dashboard.png"
SPEC = {
    "study": "toy-quadratic",
    "description": "Toy sweep for the docs: (x-2)^2 + (y+1)^2 with learning curves.",
    "objective": {"function": "sweeps.objectives.toy:quadratic", "args": {"steps": 8}},
    "direction": "minimize",
    "space": {
        "x": {"type": "float", "low": -5.0, "high": 5.0},
        "y": {"type": "float", "low": -5.0, "high": 5.0},
    },
    "sampler": {"name": "TPESampler", "args": {"n_startup_trials": 4}},
    "budget": {"n_trials": 12},
    "seed": 7,
    "dispatch": {"poll_interval_s": 0.05},
}
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--hide-scrollbars",
    "--window-size=1440,900",
    "--virtual-time-budget=8000",
]


def main() -> int:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("needs chromium: apt-get install -y chromium", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        spec = work / "sweep.yaml"
        spec.write_text(yaml.safe_dump(SPEC))
        sweeps = [sys.executable, "-m", "sweeps"]
        subprocess.run([*sweeps, "study", "prepare", "--spec", str(spec)], cwd=work, check=True)
        for slot in range(SPEC["budget"]["n_trials"]):  # type: ignore[index]
            receipt = f"results/{SPEC['study']}/trials/{slot}.json"
            cmd = [*sweeps, "trial", "--spec", str(spec), "--slot", str(slot), "--receipt", receipt]
            subprocess.run(cmd, cwd=work, check=True, capture_output=True)
        server = subprocess.Popen(
            [*sweeps, "dashboard", "--spec", str(spec)],
            cwd=work,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            base, token = _printed_url(server)
            study_id = _wait_for_study(base, token)
            OUT.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    chromium,
                    *CHROMIUM_FLAGS,
                    f"--user-data-dir={work / 'chromium'}",
                    f"--screenshot={OUT}",
                    f"{base}/dashboard/studies/{study_id}?token={token}",
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
        finally:
            server.terminate()
            server.wait(10)
    print(f"wrote {OUT}")
    return 0


def _printed_url(server: subprocess.Popen[str]) -> tuple[str, str]:
    """The base URL and token that ``sweeps dashboard`` printed (it picks a free port)."""
    assert server.stdout is not None
    for line in server.stdout:
        found = re.search(r"here:\s+(http://\S+)/dashboard\?token=(\S+)", line)
        if found:
            return found.group(1), found.group(2)
    raise RuntimeError("the dashboard exited before printing its URL")


def _wait_for_study(base: str, token: str, timeout_s: float = 60) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/api/studies?token={token}", timeout=5) as response:
                studies = json.loads(response.read())["study_summaries"]
            return int(studies[0]["study_id"])
        except (OSError, IndexError, KeyError):
            time.sleep(0.3)
    raise TimeoutError("the dashboard did not come up")


if __name__ == "__main__":
    sys.exit(main())
