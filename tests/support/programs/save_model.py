"""A training script that saves its "model" where its command line says (``--save PATH``) and
records there where it ran and with which thread settings; its result (``--x``, squared) goes
to ``$SWEEPS_METRICS_FILE`` when the sweep names one, else to stdout."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main(args: list[str]) -> None:
    x = float(args[args.index("--x") + 1]) if "--x" in args else 0.0
    record = {
        "cwd": os.getcwd(),
        "argv": args,
        "trial_dir": os.environ.get("SWEEPS_TRIAL_DIR"),
        "threads": {k: v for k, v in os.environ.items() if "THREADS" in k},
    }
    Path(args[args.index("--save") + 1]).write_text(json.dumps(record))
    result = json.dumps({"value": x * x})
    metrics = os.environ.get("SWEEPS_METRICS_FILE")
    if metrics:
        Path(metrics).write_text(result)
    else:
        print(result)


if __name__ == "__main__":
    main(sys.argv[1:])
