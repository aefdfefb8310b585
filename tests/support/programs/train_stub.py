"""A stand-in training script for command objectives: reads its parameters in whatever form
its command line gives them (``--k=v``, ``--k v``, ``--flag``, ``k=v``, one JSON argument or a
JSON file path) and prints a JSON line per step and a result line.

Settings by environment: STUB_METRIC (result key, default ``loss``), STUB_STEPS (default 3),
STUB_SLEEP_S (per step), STUB_EXIT (exit code after the result), STUB_CLIENT=1 (report
through sweeps.client and stop when pruned, else print step lines), STUB_IGNORE_PRUNE=1
(never stop), STUB_PARAMS_OUT (write the parsed parameters there).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def parse(argv: list[str]) -> dict[str, object]:
    params: dict[str, object] = {}
    i = 0
    while i < len(argv):
        word = argv[i]
        if word.startswith("{"):
            params.update(json.loads(word))
        elif word.endswith(".json") and Path(word).is_file():
            params.update(json.loads(Path(word).read_text()))
        elif word.startswith("--") and "=" in word:
            key, _, value = word[2:].partition("=")
            params[key] = value
        elif word.startswith("--"):
            if i + 1 < len(argv) and not argv[i + 1].startswith("--"):
                params[word[2:]] = argv[i + 1]
                i += 1
            else:
                params[word[2:]] = "True"
        elif "=" in word:
            key, _, value = word.partition("=")
            params[key] = value
        i += 1
    return params


def number(value: object) -> float:
    try:
        return float(str(value))
    except ValueError:
        return float(len(str(value)))  # strings and booleans count by their length


def main() -> int:
    params = parse(sys.argv[1:])
    if os.environ.get("STUB_PARAMS_OUT"):
        Path(os.environ["STUB_PARAMS_OUT"]).write_text(json.dumps(params))
    print(f"training with {len(params)} parameters")  # plain output passes through
    metric = os.environ.get("STUB_METRIC", "loss")
    base = sum(abs(number(v)) for v in params.values())
    steps = int(os.environ.get("STUB_STEPS", "3"))
    use_client = os.environ.get("STUB_CLIENT") == "1"
    ignore = os.environ.get("STUB_IGNORE_PRUNE") == "1"
    if use_client:
        from sweeps import client
    for step in range(1, steps + 1):
        value = base / step
        if use_client:
            client.report(value, step)
            if client.should_prune() and not ignore:
                print("pruned", file=sys.stderr)
                return 0
        else:
            print(json.dumps({"step": step, metric: value}), flush=True)
        time.sleep(float(os.environ.get("STUB_SLEEP_S", "0")))
    values = [base / steps + i for i in range(int(os.environ.get("STUB_VALUES", "1")))]
    result = (
        {metric: values[0]}
        if len(values) == 1
        else {f"{metric}{i}": v for i, v in enumerate(values)}
    )
    if os.environ.get("SWEEPS_METRICS_FILE"):
        Path(os.environ["SWEEPS_METRICS_FILE"]).write_text(json.dumps(result))
    else:
        print(json.dumps(result))
    print("done", file=sys.stderr)
    return int(os.environ.get("STUB_EXIT", "0"))


if __name__ == "__main__":
    sys.exit(main())
