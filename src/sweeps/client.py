"""For a training script run as a command objective: report progress, ask whether to stop.

```python
from sweeps import client

for epoch in range(epochs):
    loss = train_one_epoch()
    client.report(loss, epoch)
    if client.should_prune():
        break
```

The runner that starts the script names a channel file and a status file in the environment;
``report`` appends a JSON line to the channel, the runner relays it to the study and answers in
the status file whether the pruner says stop. Outside a sweep (no such variables) ``report``
does nothing and ``should_prune`` is False. Standard library only: importing this module costs
nothing, and it imports nothing else from the package.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

CHANNEL_VAR = "SWEEPS_TRIAL_CHANNEL"  # the file report() appends to
STATUS_VAR = "SWEEPS_TRIAL_STATUS"  # the file the runner answers in: {"acked": n, "prune": b}
PARAMS_VAR = "SWEEPS_TRIAL_PARAMS"  # the trial's parameters and fixed args, as JSON
NUMBER_VAR = "SWEEPS_TRIAL_NUMBER"
ANSWER_WAIT_S = 30.0  # how long should_prune() waits for the runner to read the last report
_POLL_S = 0.005

_sent = 0


def in_sweep() -> bool:
    """Whether this process runs as a sweep's trial."""
    return bool(os.environ.get(CHANNEL_VAR))


def params() -> dict[str, Any]:
    """The trial's parameters and fixed args ({} outside a sweep)."""
    text = os.environ.get(PARAMS_VAR)
    return dict(json.loads(text)) if text else {}


def trial_number() -> int | None:
    """The trial's number in its study (None outside a sweep)."""
    text = os.environ.get(NUMBER_VAR)
    return int(text) if text else None


def report(value: float, step: int) -> None:
    """Record an intermediate value at ``step``: the pruner and the dashboard see it."""
    global _sent
    channel = os.environ.get(CHANNEL_VAR)
    if not channel:
        return
    _sent += 1
    line = json.dumps({"seq": _sent, "step": int(step), "value": float(value)})
    with open(channel, "a", encoding="utf-8") as out:
        out.write(line + "\n")


def should_prune() -> bool:
    """Whether the sweep's pruner says stop, as of this script's last report."""
    status = os.environ.get(STATUS_VAR)
    if not status or not os.environ.get(CHANNEL_VAR):
        return False
    deadline = time.monotonic() + ANSWER_WAIT_S
    while True:
        answer = _read(status)
        if int(answer.get("acked", 0)) >= _sent or time.monotonic() > deadline:
            return bool(answer.get("prune", False))
        time.sleep(_POLL_S)


def _read(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as file:
            answer = json.load(file)
    except (OSError, ValueError):
        return {}
    return answer if isinstance(answer, dict) else {}
